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
from exile_report.escape import URL_RE, markdown_text, markdown_url
from exile_report.prose import cite, date

REQUIRED = [
    "id",
    "producer",
    "title",
    "url_main",
    "url_download",
    "date_published",
    "date_accessed",
    "licence",
    "citation_key",
    "module",
    "used_for",
    "caveats",
    "files",
    "outputs",
]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_FILE = re.compile(r"[\w.-]+")


def validate_register(sources: list[dict], where: str = "data/sources.yml") -> list[dict]:
    """Check every entry has the required fields in the right shape; raise ``DataError``
    naming the entry and field otherwise."""
    seen = set()
    for i, s in enumerate(sources):
        sid = s.get("id", f"#{i + 1}")
        for field in REQUIRED:
            if field == "outputs" and s.get("superseded_by") and s.get(field) == []:
                continue  # a superseded snapshot writes no table
            if field not in s or s[field] in (None, "", []):
                raise DataError(f"{where}: source {sid}: field {field!r} missing or empty")
        if sid in seen:
            raise DataError(f"{where}: source {sid}: duplicate id")
        seen.add(sid)
        newer = s.get("superseded_by")
        if newer and (newer == sid or newer not in {t.get("id") for t in sources}):
            raise DataError(
                f"{where}: source {sid}: superseded_by {newer!r} is not another "
                "source of the register"
            )
        for field in ("date_published", "date_accessed"):
            if not _DATE.match(str(s[field])):
                raise DataError(f"{where}: source {sid}: field {field!r} is not YYYY-MM-DD")
        # period_end: the last day the data cover; present for every source, null only for a
        # source that is not a dated series
        if "period_end" not in s:
            raise DataError(
                f"{where}: source {sid}: field 'period_end' missing "
                "(YYYY-MM-DD, or null for a source that is not a dated series)"
            )
        if s["period_end"] is not None and not _DATE.match(str(s["period_end"])):
            raise DataError(f"{where}: source {sid}: field 'period_end' is not YYYY-MM-DD")
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


# ---------------------------------------------------------------- appendix


def _cell(text) -> str:
    """A data value as the text of a pipe-table cell (one line, every markup character escaped)."""
    return markdown_text(text if text is not None else "")


def _source_section(s: dict) -> str:
    # Every value of the register is data: escaped, never read as markup.
    lic = s["licence"]
    name = markdown_text(lic["name"])
    url = str(lic.get("url") or "").strip()
    licence = f"[{name}]({url})" if URL_RE.fullmatch(url) else name
    outputs = ", ".join(
        f"`{o}`" if _FILE.fullmatch(str(o)) else markdown_text(o) for o in s["outputs"]
    )
    if not outputs and s.get("superseded_by"):
        outputs = f"none (superseded by the snapshot `{markdown_text(s['superseded_by'])}`)"
    lines = [
        f"### {markdown_text(s['title'])} {{.unnumbered}}",
        "",
        f"- **Producer:** {markdown_text(s['producer'])} {cite(citation_keys(s))}",
        (
            f"- **Where:** {markdown_url(s['url_main'])}; snapshot used: "
            f"{markdown_url(s['url_download'])}"
        ),
        f"- **Published:** {date(s['date_published'])}; **accessed:** {date(s['date_accessed'])}"
        + (f"; **data to:** {date(s['period_end'])}" if s.get("period_end") else ""),
        f"- **Licence:** {licence}",
        f"- **Used for:** {markdown_text(s['used_for'])}",
        f"- **Processed tables:** {outputs}",
        "- **Caveats:**",
        *(f"    - {markdown_text(c)}" for c in s["caveats"]),
        "",
    ]
    return "\n".join(lines)


def source_sections() -> str:
    """One section per source of the register: producer, where, dates, licence, use, caveats."""
    return "\n".join(_source_section(s) for s in load_register())


def curated_table() -> str:
    """Pipe table of the curated tables with their row counts (files present only; '' if none).
    The appendix's Markdown gives it its heading and caption."""
    import pandas as pd

    from exile_report.schemas import CURATED_TABLES

    rows = ["| Table | Contents | Rows |", "| --- | --- | ---: |"]
    for t in CURATED_TABLES:
        if t.path.is_file():
            n = len(pd.read_csv(t.path, dtype=str, keep_default_na=False))
            rows.append(f"| `{t.name}.csv` | {_cell(t.description)} | {n} |")
    return "\n".join(rows) if len(rows) > 2 else ""


def conflicts_table() -> str:
    """Pipe table of data/curated/conflicts.csv ('' if it does not exist). The appendix's
    Markdown gives it its heading and caption."""
    import pandas as pd

    path = paths.CURATED / "conflicts.csv"
    if not path.is_file():
        return ""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = [
        "| Id | Topic | Claim A | Claim B | Likely reason | Treatment |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in df.to_dict("records"):
        a = f"{_cell(r.get('claim_a'))} {cite(str(r.get('source_a', '')))}"
        b = f"{_cell(r.get('claim_b'))} {cite(str(r.get('source_b', '')))}"
        rows.append(
            f"| {_cell(r.get('conflict_id'))} | {_cell(r.get('topic'))} | {a} | {b} | "
            f"{_cell(r.get('likely_reason'))} | {_cell(r.get('treatment'))} |"
        )
    return "\n".join(rows)
