"""Press-reported emigration figures (The Bell's 2024 stock estimate; FSB border-departure
counts), hand-transcribed from stored news pages.

Each row gets a ``concept`` so that people still abroad (``stock-abroad``) and trips across
the border (``border-crossings``) can never be added together, and the period as dates.

The raw transcription is immutable; its known errors (the snapshot's ERRATA.md) and the page
each figure is cited to are applied here from ``data/curated/press_figure_sources.csv``: one
row per raw row (checked against the raw series, destination and value, so a new snapshot
cannot be matched silently), saying whether the figure is kept, corrected or dropped, and
which bibliography entry (the page that holds the figure) and outlet report it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from exile_report import paths
from exile_report.data import DataError
from exile_report.processing._common import map_codes, read_csv
from exile_report.processing._common import save as _save
from exile_report.processing.countries import EN_TO_ISO3

SOURCE_ID = "press-reported-emigration-figures"
FILE = "press_reported_emigration_figures.csv"
SERIES = {  # series prefix -> (producer, concept, unit)
    "bell": ("The Bell", "stock-abroad", "persons"),
    "fsb": ("FSB Border Service", "border-crossings", "trips"),
}
UNITS = {"persons": "persons", "border crossings (departures)": "trips"}
_QUARTER = re.compile(r"^(\d{4})-Q([1-4]) ")
_SPAN = re.compile(r"^(\d{4})-(\d\d) to \d{4} \(published (\d{4}-\d\d-\d\d)\)$")
SOURCES = paths.CURATED / "press_figure_sources.csv"
ACTIONS = ("keep", "correct", "drop")


def load(raw_dir: Path, sources: Path | None = None) -> dict[str, pd.DataFrame]:
    """Read the transcribed table and, from the project, the citation and correction of each
    of its rows."""
    return {
        "figures": read_csv(Path(raw_dir) / SOURCE_ID / FILE, dtype=str),
        "sources": read_csv(Path(sources or SOURCES), dtype=str),
    }


def _bib_urls() -> dict[str, tuple[str, str]]:
    """Citation key -> (url, date) of the bibliography entries."""
    from exile_report.source_policy import parse_bib

    return {
        e.key: (e.fields.get("url", ""), e.fields.get("date", ""))
        for e in parse_bib(paths.REFERENCES_BIB.read_text(encoding="utf-8"))
    }


def apply_sources(
    df: pd.DataFrame, sources: pd.DataFrame, bib: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    """Corrections and per-figure citations: drop, correct or keep each raw row, and replace its
    reporting page by the cited entry's address and date. Fails, naming the row, when the
    sources file does not match the raw table one to one or cites a key not in the bibliography."""
    where = "data/curated/press_figure_sources.csv"
    src = sources.set_index(sources["raw_row"].astype(int))
    want = set(range(2, len(df) + 2))
    if set(src.index) != want:
        odd = min(set(src.index) ^ want)
        raise DataError(f"{where}: raw_row {odd}: must list every row of {FILE} exactly once")
    out = df.copy()
    out["figure_id"] = [f"F{i + 1:02d}" for i in range(len(df))]
    keep = []
    for i in range(len(df)):
        s, raw = src.loc[i + 2], df.iloc[i]
        row = f"{where}: raw_row {i + 2}"
        if (s["series"], s["destination"], s["raw_value"]) != (
            raw["series"],
            raw["destination"],
            raw["value"],
        ):
            raise DataError(
                f"{row}: does not match {FILE} ({raw['series']}, "
                f"{raw['destination']}, {raw['value']})"
            )
        if s["action"] not in ACTIONS:
            raise DataError(f"{row}: column action: {s['action']!r} is not one of {ACTIONS}")
        if s["action"] == "drop":
            continue
        key = s["citation_key"]
        if pd.isna(key) or key not in bib:
            raise DataError(f"{row}: column citation_key: {key!r} is not in the bibliography")
        if s["action"] == "correct":
            out.loc[out.index[i], "value"] = s["value"]
        for col in ("value_as_stated", "precision"):
            if pd.notna(s[col]):
                out.loc[out.index[i], col] = s[col]
        url, date = bib[key]
        out.loc[out.index[i], ["reporting_page_url", "reporting_page_date"]] = [url, date]
        for col in ("citation_key", "reported_by", "grade", "note"):
            out.loc[out.index[i], col] = s[col]
        keep.append(i)
    return out.iloc[keep].reset_index(drop=True)


def period(text: str, row: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """'2022-Q3 (Jul-Sep)' -> quarter start/end; '2022-02 to 2024 (published 2024-07-16)'
    -> first day of the start month and the publication date (the date the stock refers to)."""
    if m := _QUARTER.match(text):
        start = pd.Timestamp(year=int(m[1]), month=3 * int(m[2]) - 2, day=1)
        return start, start + pd.offsets.QuarterEnd(0)
    if m := _SPAN.match(text):
        return pd.Timestamp(year=int(m[1]), month=int(m[2]), day=1), pd.Timestamp(m[3])
    raise DataError(f"{FILE}: row {row}: column reference_period: cannot parse {text!r}")


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Clean the table; keep the quoted words, the page each figure is cited to and the outlet
    that reported it."""
    df = apply_sources(frames["figures"], frames["sources"], _bib_urls())
    prefix = df["series"].str.split("_").str[0]
    meta = map_codes(prefix, SERIES, "series", FILE)
    unit = map_codes(df["unit"], UNITS, "unit", FILE)
    expected = meta.str[2]
    if (unit != expected).any():
        i = int(np.flatnonzero((unit != expected).to_numpy())[0])
        raise DataError(
            f"{FILE}: row {i + 2}: column unit: {df['unit'].iloc[i]!r} "
            f"does not fit series {df['series'].iloc[i]!r}"
        )
    periods = [period(t, i + 2) for i, t in enumerate(df["reference_period"])]
    out = pd.DataFrame(
        {
            "figure_id": df["figure_id"],
            "series": df["series"],
            "producer": meta.str[0],
            "concept": meta.str[1],
            "period_start": [p[0] for p in periods],
            "period_end": [p[1] for p in periods],
            "destination": df["destination"],
            "destination_iso3": map_codes(
                df["destination"], EN_TO_ISO3, "destination", FILE
            ).astype("string"),
            "value": df["value"].astype("int64"),
            "unit": unit,
            "precision": df["precision"],
            "value_as_stated": df["value_as_stated"],
            "reporting_page_url": df["reporting_page_url"],
            "reporting_page_date": pd.to_datetime(df["reporting_page_date"], format="ISO8601"),
            "citation_key": df["citation_key"],
            "reported_by": df["reported_by"],
            "grade": df["grade"],
            "note": df["note"],
        }
    )
    return {"press_figures": out}


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save(tables, out_dir)
