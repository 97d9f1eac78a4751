"""Shared helpers of the data tests: where the raw snapshots are, if anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from exile_report.paths import raw_dir

ROOT = Path(__file__).resolve().parents[1]


def find_raw() -> Path | None:
    """The raw folder of the package (``$EXILE_RAW_DIR``, default ``data/raw/``) when it exists."""
    raw = raw_dir()
    return raw if raw.is_dir() else None


RAW = find_raw()
needs_raw = pytest.mark.skipif(
    RAW is None,
    reason=f"raw snapshots not found in {raw_dir()}: set EXILE_RAW_DIR, or run "
    "'exile-report fetch' (see README, Data)",
)
