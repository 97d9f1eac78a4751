"""Where things live in the repository.

Every module that reads or writes project files asks this one for the location, so the
package works from any working directory (notebooks run with cwd at the repo root, tests
and the CLI may not).
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = "_quarto.yml"


def _find_root() -> Path:
    """The repository root: the folder holding ``_quarto.yml`` and ``src/exile_report``,
    searched upwards from the working directory, then from this file (an editable install
    lives inside the repository)."""
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / MARKER).is_file() and (folder / "src" / "exile_report").is_dir():
                return folder
    raise RuntimeError(
        f"cannot find the repository root (a folder with {MARKER} and src/exile_report) "
        f"above {Path.cwd()} or {Path(__file__).parent}"
    )


ROOT = _find_root()
DATA = ROOT / "data"
PROCESSED = DATA / "processed"
CURATED = DATA / "curated"
# Figures written by notebooks; tests point this elsewhere so they never touch the book's own.
FIGURES = Path(os.environ.get("EXILE_FIGURES_DIR") or ROOT / "figures")
SOURCES_YML = DATA / "sources.yml"
DATAPACKAGE = DATA / "datapackage.json"
REFERENCES_BIB = ROOT / "references.bib"


def raw_dir() -> Path:
    """The folder holding the raw snapshots: ``$EXILE_RAW_DIR`` if set, else ``data/raw/``.

    A relative ``EXILE_RAW_DIR`` is resolved against the repository root, not the cwd, so the
    same setting works from notebooks, the CLI and the tests."""
    value = os.environ.get("EXILE_RAW_DIR")
    path = Path(value) if value else DATA / "raw"
    return path if path.is_absolute() else (ROOT / path).resolve()
