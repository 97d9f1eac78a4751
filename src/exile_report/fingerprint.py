"""Content hashes: the one sha256 helper, and what each cache of the build is keyed on.

- :func:`inputs_fingerprint`: everything a chapter may read or run with (data tables, the data
  descriptor, register and README, the bibliography, the package code, the locked dependencies).
  A change to any of them executes the chapters again.
- :func:`table_key`: a table's bytes together with the code that validates it (the schemas and
  the validator) and the locked dependencies (pandera's version). A table is trusted without
  validation only under the very key it passed with, so tightening a schema revalidates.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_CHUNK = 1 << 20

#: Package code that cannot change what a notebook computes; editing it does not re-execute.
CODE_EXCLUDE = (
    "render",
    "cli.py",
    "build.py",
    "bench.py",
    "execute.py",
    "preview.py",
    "refresh.py",
)
#: Files at the repository root every chapter depends on besides data and code.
ROOT_INPUTS = ("requirements.lock",)
#: Files under data/ every chapter (and the data bundle) depends on besides the tables.
DATA_INPUTS = ("README.md",)
#: Package data every chapter reads besides the code (the table and figure-column declarations).
PACKAGE_DATA = ("tables.yml", "figure_columns.yml")
#: Code and declarations that decide whether a table is valid.
VALIDATOR_CODE = ("schemas.py", "tables.yml", "data.py")
#: Where the keys of validated tables are recorded (under the build folder).
VALIDATED = "validated.json"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_files(paths, root: Path, *, extra: bytes = b"") -> str:
    """One hash over files, each with its path relative to ``root`` (so a rename counts)."""
    h = hashlib.sha256(extra)
    for path in sorted(paths):
        h.update(Path(path).relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(Path(path).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _package(root: Path) -> Path:
    return root / "src" / "exile_report"


def inputs_fingerprint(root: Path) -> str:
    """One hash over everything every chapter may read: data, register, bibliography, code, lock."""
    files: list[Path] = []
    for folder in ("data/processed", "data/curated"):
        files += [p for p in (root / folder).rglob("*") if p.is_file()]
    files += [p for p in (root / "data").glob("*.yml") if p.is_file()]
    files += [p for p in (root / "data").glob("*.json") if p.is_file()]
    files += [root / "data" / name for name in DATA_INPUTS if (root / "data" / name).is_file()]
    files += [root / name for name in ROOT_INPUTS if (root / name).is_file()]
    files += list(root.glob("*.bib"))
    pkg = _package(root)
    for path in pkg.rglob("*.py"):
        if path.relative_to(pkg).parts[0] in CODE_EXCLUDE:
            continue
        files.append(path)
    files += [pkg / name for name in PACKAGE_DATA if (pkg / name).is_file()]
    # the edition's cut-off (``_quarto.yml``, block ``edition``) is read by every chapter
    from .coverage import edition_block_text

    return hashlib.sha256(
        (sha256_files(set(files), root) + edition_block_text(root)).encode()
    ).hexdigest()


def validator_fingerprint(root: Path) -> str:
    """What decides validity: the table declarations, the validator, the lock file."""
    files = [_package(root) / name for name in VALIDATOR_CODE]
    files += [root / name for name in ROOT_INPUTS]
    return sha256_files([f for f in files if f.is_file()], root)


def table_key(path: Path, root: Path) -> str:
    """A table's bytes and the validator together: the key under which it was validated."""
    return hashlib.sha256(f"{sha256_file(path)}:{validator_fingerprint(root)}".encode()).hexdigest()


def validated_keys(root: Path) -> dict[str, str]:
    """Table name -> key it last passed validation under (empty when nothing is recorded)."""
    try:
        keys = json.loads((root / "_build" / VALIDATED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return keys if isinstance(keys, dict) else {}


def record_validated(root: Path, keys: dict[str, str]) -> None:
    """Record the keys of tables that passed, atomically (a killed build leaves the old record)."""
    folder = root / "_build"
    folder.mkdir(exist_ok=True)
    tmp = folder / f"{VALIDATED}.tmp"
    tmp.write_text(json.dumps(keys, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(folder / VALIDATED)
