"""The source register (``data/sources.yml``) and the "Data and sources" appendix.

The register is the single place where provenance is written down; the appendix, the
datapackage descriptor and the checksum checks are all generated from it, so they cannot
disagree with each other."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from exile_report import paths
from exile_report.data import DataError

REQUIRED = [
    "id", "producer", "title", "url_main", "url_download", "date_published", "date_accessed",
    "licence", "citation_key", "module", "used_for", "caveats", "files", "outputs",
]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


def validate_register(sources: list[dict], where: str = "data/sources.yml") -> list[dict]:
    """Check every entry has the required fields in the right shape; raise ``DataError``
    naming the entry and field otherwise."""
    seen = set()
    for i, s in enumerate(sources):
        sid = s.get("id", f"#{i + 1}")
        for field in REQUIRED:
            if field not in s or s[field] in (None, "", []):
                raise DataError(f"{where}: source {sid}: field {field!r} missing or empty")
        if sid in seen:
            raise DataError(f"{where}: source {sid}: duplicate id")
        seen.add(sid)
        for field in ("date_published", "date_accessed"):
            if not _DATE.match(str(s[field])):
                raise DataError(f"{where}: source {sid}: field {field!r} is not YYYY-MM-DD")
        if not isinstance(s["licence"], dict) or not s["licence"].get("name"):
            raise DataError(f"{where}: source {sid}: field 'licence' needs a name")
        for f in s["files"]:
            if not _SHA.match(str(f.get("sha256", ""))) or not isinstance(f.get("bytes"), int):
                raise DataError(f"{where}: source {sid}: file {f.get('name')!r}: bad sha256/bytes")
    return sources


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple:
    if not path.is_file():
        raise DataError(f"{path}: source register missing")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(validate_register(data["sources"], str(path)))


def load_register(path: Path | None = None) -> list[dict]:
    """All sources of the register, validated (cached per process)."""
    return [dict(s) for s in _load(Path(path) if path else paths.SOURCES_YML)]


def citation_keys(source: dict) -> list[str]:
    """The citation keys of a source (several are separated by ';')."""
    return [k.strip() for k in str(source["citation_key"]).split(";") if k.strip()]
