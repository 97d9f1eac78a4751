"""Shared helpers of the data tests: where the raw snapshots are, if anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def find_raw() -> Path | None:
    """$EXILE_RAW_DIR, else ../shared/data/raw next to the repository."""
    value = os.environ.get("EXILE_RAW_DIR")
    candidates = [Path(value) if Path(value).is_absolute() else ROOT / value] if value else []
    candidates.append(ROOT.parent / "shared" / "data" / "raw")
    return next((c for c in candidates if c.is_dir()), None)


RAW = find_raw()
needs_raw = pytest.mark.skipif(
    RAW is None,
    reason="raw snapshots not found: set EXILE_RAW_DIR or place them in ../shared/data/raw",
)
