"""The edition's cut-off, and what each chapter's data cover and up to when.

Two kinds of date, each written down once:

- the edition's cut-off, ``edition: cutoff:`` in ``_quarto.yml``: the last day of events,
  measures and sources the edition takes in;
- each source's own last day, ``period_end`` in ``data/sources.yml`` (the state of a register
  snapshot, the end of a statistical release's last year or quarter).

Each chapter opens (in a Markdown cell right after its heading) with
`` `{python} coverage_markdown("<chapter>")` ``, the preface with ``{{< var findings.coverage >}}``
(the same paragraph), and the data-sources appendix with :func:`edition_markdown` and
:func:`sources_table`; :func:`chapter_coverage` is the table behind the paragraph, and a table's
own date is :func:`table_until`. ``tests/test_printed_dates.py`` checks the dates the built book
prints against the register. Nothing here types a date in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from exile_report import paths
from exile_report.data import DataError

#: The tables each chapter (as named in ``params.yml``; ``index`` is the preface) draws on.
#: A test checks that every table a chapter notebook loads is listed here.
CHAPTER_TABLES: dict[str, tuple[str, ...]] = {
    "index": (
        "foreign_agents_events",
        "foreign_agents_per_date",
        "foreign_agents_per_year",
        "undesirable_designations",
        "unhcr_applications",
        "unhcr_population_origin_year",
        "policies",
    ),
    "history": (
        "timeline",
        "wave_estimates",
        "foreign_agents_events",
        "foreign_agents_per_date",
        "foreign_agents_per_year",
        "undesirable_designations",
        "undesirable_per_year",
        "unhcr_population_origin_year",
        "unhcr_population",
    ),
    "scale": (
        "estimates",
        "conflicts",
        "unhcr_applications",
        "eurostat_ru_citizens",
        "press_figures",
        "countries_110m",
        "surveys",
    ),
    "host-states": ("policies", "unhcr_applications", "eurostat_ru_citizens", "countries_110m"),
    "asylum-law": (
        "unhcr_applications",
        "unhcr_decisions",
        "unhcr_population",
        "unhcr_population_origin_year",
        "uk_applications",
        "uk_initial_decisions",
        "uk_grant_rates",
        "uk_initial_decisions_totals",
        "legal",
    ),
    "conclusion": (
        "estimates",
        "press_figures",
        "wave_estimates",
        "surveys",
        "population",
        "unhcr_applications",
        "unhcr_population_origin_year",
        "timeline",
        "legal",
    ),
}


def _fmt(day: pd.Timestamp) -> str:
    """A day as the book prints every date (:func:`exile_report.prose.date`)."""
    from .prose import date

    return date(day)


# ---------------------------------------------------------------- the edition


def edition_block(root: Path | None = None) -> dict:
    """The ``edition`` block of ``_quarto.yml``, checked: ``cutoff`` is a YYYY-MM-DD date."""
    path = Path(root or paths.ROOT) / "_quarto.yml"
    return dict(_edition_block(path, path.stat().st_mtime_ns if path.is_file() else 0))


@lru_cache(maxsize=4)
def _edition_block(path: Path, _mtime: int) -> tuple:
    if not path.is_file():
        raise DataError(f"{path}: not found")
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(config, dict):
        raise DataError(
            f"{path}: expected a mapping of Quarto's options, not a {type(config).__name__}"
        )
    block = config.get("edition")
    if not isinstance(block, dict) or "cutoff" not in block:
        raise DataError(f"{path}: no 'edition: cutoff:' block (the edition's cut-off date)")
    try:
        pd.Timestamp(str(block["cutoff"]))
        ok = len(str(block["cutoff"])) == 10
    except ValueError:
        ok = False
    if not ok:
        raise DataError(f"{path}: edition: cutoff: {block['cutoff']!r} is not a YYYY-MM-DD date")
    return tuple(sorted((k, str(v)) for k, v in block.items()))


def edition_block_text(root: Path | None = None) -> str:
    """The edition's cut-off as canonical text (an input of every chapter's cache fingerprint:
    the chapters read the cut-off; the rest of the block, the edition's identity, only the render
    reads, so a new DOI or release date re-renders without executing anything)."""
    try:
        return json.dumps({"cutoff": edition_block(root)["cutoff"]}, sort_keys=True)
    except DataError:
        return ""


def edition_cutoff(root: Path | None = None) -> pd.Timestamp:
    """The edition's cut-off date."""
    return pd.Timestamp(edition_block(root)["cutoff"])


# ---------------------------------------------------------------- sources and tables


def _register() -> list[dict]:
    from exile_report.sources import load_register

    return load_register()


def source_until(source_id: str) -> pd.Timestamp | None:
    """A source's last covered day (``period_end``), None for a source that is no dated series."""
    source = next((s for s in _register() if s["id"] == source_id), None)
    if source is None:
        raise DataError(f"data/sources.yml: no source {source_id!r}")
    return pd.Timestamp(source["period_end"]) if source["period_end"] else None


def source_of_table(table: str) -> dict | None:
    """The register entry that writes a processed table (None for a curated table)."""
    return next((s for s in _register() if f"{table}.csv" in s["outputs"]), None)


def table_until(table: str) -> pd.Timestamp:
    """The last day a processed table's data can cover: its source's ``period_end``."""
    source = source_of_table(table)
    if source is None or not source["period_end"]:
        raise DataError(f"data/sources.yml: no dated source writes {table}.csv")
    return pd.Timestamp(source["period_end"])


def table_citation(table: str) -> str:
    """The citation of the source that writes a processed table, as ``[@key]`` (or
    ``[@a; @b]``), so prose that names a table's figure cites the snapshot it came from."""
    source = source_of_table(table)
    if source is None:
        raise DataError(f"data/sources.yml: no source writes {table}.csv")
    keys = [k.strip() for k in str(source["citation_key"]).split(";") if k.strip()]
    return "[" + "; ".join(f"@{k}" for k in keys) + "]"


def _label(source: dict) -> str:
    """A source's short name: its ``label`` in the register, else its title without the
    parenthesised details."""
    return str(source.get("label") or str(source["title"]).split(" (")[0])


def latest_date(df: pd.DataFrame) -> pd.Timestamp | None:
    """The last day a table's rows reach: its latest ``period_end``/``date``/dated column,
    else the end of its latest quarter or year (``year`` with ``quarter`` or
    ``months_covered``)."""
    for col in (
        "period_end",
        "date",
        "end_date",
        "date_ended",
        "date_in_force",
        "date_announced",
        "date_published",
    ):
        if col in df and pd.api.types.is_datetime64_any_dtype(df[col]) and df[col].notna().any():
            return pd.Timestamp(df[col].max())
    if "year" in df and df["year"].notna().any():
        year = int(df["year"].max())
        last = df[df["year"] == year]
        if "quarter" in df:
            month = 3 * int(last["quarter"].max())
        elif "months_covered" in df:
            month = int(last["months_covered"].max())
        else:
            month = 12
        return pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)
    return None


def _curated_latest(df: pd.DataFrame) -> pd.Timestamp | None:
    """The latest date anywhere in a curated table's date columns."""
    dates = [
        df[c].max()
        for c in df.columns
        if pd.api.types.is_datetime64_any_dtype(df[c]) and df[c].notna().any()
    ]
    return pd.Timestamp(max(dates)) if dates else None


def chapter_coverage(chapter: str) -> pd.DataFrame:
    """What a chapter's data cover and up to when: one row per source (and per curated table).

    Columns: ``kind`` (source or curated), ``id`` (source id or table), ``label``, ``tables``,
    ``until`` (the source's ``period_end``; for a curated table its latest dated row),
    ``citation_keys`` (';'-separated; empty for curated tables, whose rows cite their own).
    Sources that are no dated series (map outlines) are left out."""
    from exile_report.data import load
    from exile_report.schemas import TABLES

    if chapter not in CHAPTER_TABLES:
        raise DataError(f"unknown chapter {chapter!r}: one of {', '.join(CHAPTER_TABLES)}")
    rows: dict[str, dict] = {}
    for table in CHAPTER_TABLES[chapter]:
        source = source_of_table(table)
        if source is not None:
            if not source["period_end"]:
                continue
            row = rows.setdefault(
                source["id"],
                {
                    "kind": "source",
                    "id": source["id"],
                    "label": _label(source),
                    "tables": [],
                    "until": pd.Timestamp(source["period_end"]),
                    "citation_keys": str(source["citation_key"]),
                },
            )
            row["tables"].append(table)
        elif table in TABLES and TABLES[table].folder == "curated":
            rows[table] = {
                "kind": "curated",
                "id": table,
                "label": TABLES[table].description,
                "tables": [table],
                "until": _curated_latest(load(table)) or pd.NaT,
                "citation_keys": "",
            }
        else:
            raise DataError(
                f"chapter {chapter}: table {table!r} has no source in "
                "data/sources.yml and is not a curated table"
            )
    out = pd.DataFrame(
        list(rows.values()), columns=["kind", "id", "label", "tables", "until", "citation_keys"]
    )
    out["tables"] = out["tables"].map(";".join)
    return out.sort_values(
        ["kind", "until", "id"], ascending=[False, False, True], kind="mergesort"
    ).reset_index(drop=True)


#: How a page's coverage paragraph names its subject ("This chapter's data run to ...").
_SUBJECT = {"index": "The data behind these key findings"}


def _cited(keys: str) -> str:
    return "[" + "; ".join(f"@{k.strip()}" for k in keys.split(";") if k.strip()) + "]"


def coverage_markdown(chapter: str) -> str:
    """The paragraph that opens a chapter (names in roman: an italic "of" overprints the next
    word in the PDF's justified lines): up to when each of its sources runs (the register's
    ``period_end``, latest first, each cited), the latest dated entry of each table the report
    team compiled, then the edition's cut-off. Works for every chapter of :data:`CHAPTER_TABLES`
    (``index`` is the preface's key findings).

    "This chapter's data run to 10 July 2026 for the Register … [@key], … and 31 December 2025
    for the … [@key]. The tables compiled by the report team reach 14 October 2025
    (Timeline …), their latest dated entries. The edition takes in events to 30 November 2026,
    its cut-off."
    """
    from .prose import listing

    cov = chapter_coverage(chapter)
    sources = [
        f"{_fmt(r.until)} for the {r.label} {_cited(r.citation_keys)}"
        for r in cov[cov["kind"] == "source"].itertuples()
    ]
    curated = [
        f"{_fmt(r.until)} ({r.label})"
        for r in cov[cov["kind"] == "curated"].itertuples()
        if pd.notna(r.until)
    ]
    subject = _SUBJECT.get(chapter, "This chapter's data")
    text = []
    if sources:
        text.append(f"{subject} run to {listing(sources)}.")
    if curated:
        which = "table" if len(curated) == 1 else "tables"
        entries = "its latest dated entry" if len(curated) == 1 else "their latest dated entries"
        text.append(
            f"The {which} compiled by the report team {'reaches' if len(curated) == 1 else 'reach'}"
            f" {listing(curated)}, {entries}."
        )
    text.append(edition_markdown())
    return " ".join(text)


def edition_markdown() -> str:
    """The sentence that states the edition's cut-off (every page that states a coverage)."""
    return f"The edition takes in events to {_fmt(edition_cutoff())}, its cut-off."


def sources_table() -> str:
    """Pipe table for the data-sources appendix: each dated source of the register with the last
    day its data cover (``period_end``, as the chapters print it) and the chapters that draw on
    it, latest first; superseded snapshots and undated sources are left out."""
    from .escape import markdown_text
    from .params import CHAPTER_MODULES

    titles = {}  # a chapter's cross-reference when its heading carries {#sec-<chapter>}
    for chapter in CHAPTER_TABLES:
        if chapter == "index":
            continue
        notebook = Path(paths.ROOT) / CHAPTER_MODULES.get(chapter, ("-",))[0]
        anchor = f"{{#sec-{chapter}}}"
        known = notebook.is_file() and anchor in notebook.read_text(encoding="utf-8")
        titles[chapter] = f"@sec-{chapter}" if known else chapter
    rows = []
    for source in _register():
        if not source["period_end"] or not source["outputs"]:
            continue
        tables = {str(o).rsplit(".", 1)[0] for o in source["outputs"]}
        used = [ref for ch, ref in titles.items() if tables & set(CHAPTER_TABLES[ch])]
        rows.append((pd.Timestamp(source["period_end"]), source, used))
    rows.sort(key=lambda r: (-r[0].value, r[1]["id"]))
    lines = ["| Source | Data to | Used in |", "| :--- | :--- | :--- |"]
    for until, source, used in rows:
        lines.append(
            f"| {markdown_text(_label(source))} {_cited(str(source['citation_key']))} "
            f"| {_fmt(until)} | {', '.join(used) or '-'} |"
        )
    return "\n".join(lines)


def date_problems() -> list[str]:
    """One message per processed table whose rows reach past its source's ``period_end``, or
    that names, in a ``period_end`` column, a last day other than its source's."""
    from exile_report.data import load

    problems = []
    for source in _register():
        if not source["period_end"]:
            continue
        until = pd.Timestamp(source["period_end"])
        for output in (o for o in source["outputs"] if o.endswith(".csv")):
            table = output.removesuffix(".csv")
            df = load(table)
            latest = latest_date(df)
            if latest is not None and latest > until:
                problems.append(
                    f"data/processed/{output}: rows reach {latest:%Y-%m-%d}, after "
                    f"the source's period_end {until:%Y-%m-%d} (data/sources.yml)"
                )
            if "partial_year" in df and "period_end" in df:
                last = df["period_end"].max()
                if last != until:
                    problems.append(
                        f"data/processed/{output}: period_end {last:%Y-%m-%d} is "
                        f"not the source's {until:%Y-%m-%d} (data/sources.yml)"
                    )
    return problems
