"""Raw snapshots -> processed tables.

``run_all`` first proves the raw files are the ones the register (``data/sources.yml``)
describes, by sha256, and only then runs each source's module. Every module has the same
shape: ``load(raw_dir)`` reads the raw files, ``process(frames)`` returns named tables,
``save(tables, out_dir)`` writes them deterministically."""

from __future__ import annotations

from pathlib import Path

from exile_report.data import DataError
from exile_report.fingerprint import sha256_file
from exile_report.processing import (
    eurostat,
    foreign_agents,
    natural_earth,
    press,
    uk_home_office,
    undesirable,
    unhcr,
)

MODULES = [unhcr, foreign_agents, undesirable, eurostat, uk_home_office, natural_earth, press]


def raw_problems(raw_dir: Path, register: list[dict] | None = None) -> list[str]:
    """One message per raw file that is missing or differs from the register, naming the
    file, the expected and the actual sha256."""
    from exile_report.sources import load_register

    raw_dir = Path(raw_dir)
    problems = []
    for source in register if register is not None else load_register():
        for entry in source.get("files", []):
            path = raw_dir / source["id"] / entry["name"]
            if not path.is_file():
                problems.append(f"{path}: raw file missing (expected sha256 {entry['sha256']})")
                continue
            actual = sha256_file(path)
            if actual != entry["sha256"]:
                problems.append(
                    f"{path}: checksum mismatch: expected sha256 {entry['sha256']}, actual {actual}"
                )
    return problems


def verify_raw(raw_dir: Path, register: list[dict] | None = None) -> None:
    """Raise ``DataError`` listing every raw file that is missing or differs from the
    register (file, expected and actual hash)."""
    problems = raw_problems(raw_dir, register)
    if problems:
        raise DataError("\n".join(problems))


def run_all(raw_dir: Path, out_dir: Path) -> list[Path]:
    """Verify the raw snapshots, then rebuild every processed table; return written paths.

    When writing into the project's ``data/processed/`` it also regenerates
    ``data/datapackage.json`` (hashes change with the files); other output folders (tests)
    leave the project untouched."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise DataError(f"{raw_dir}: raw data folder not found (set EXILE_RAW_DIR)")
    verify_raw(raw_dir)
    written: list[Path] = []
    for module in MODULES:
        written += module.save(module.process(module.load(raw_dir)), out_dir)
    from exile_report import datapackage, paths

    if out_dir.resolve() == paths.PROCESSED.resolve():
        written.append(datapackage.write())
    return written
