"""Press-reported emigration figures (The Bell's 2024 stock estimate; FSB border-departure
counts), hand-transcribed from stored news pages.

Each row gets a ``concept`` so that people still abroad (``stock-abroad``) and trips across
the border (``border-crossings``) can never be added together, and the period as dates."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from exile_report.data import DataError
from exile_report.processing._common import map_codes, read_csv
from exile_report.processing._common import save as _save
from exile_report.processing.countries import EN_TO_ISO3

SOURCE_ID = "press-reported-emigration-figures"
FILE = "press_reported_emigration_figures.csv"
KEYS = {"press_figures": ["figure_id"]}
SERIES = {  # series prefix -> (producer, concept, unit)
    "bell": ("The Bell", "stock-abroad", "persons"),
    "fsb": ("FSB Border Service", "border-crossings", "trips"),
}
UNITS = {"persons": "persons", "border crossings (departures)": "trips"}
_QUARTER = re.compile(r"^(\d{4})-Q([1-4]) ")
_SPAN = re.compile(r"^(\d{4})-(\d\d) to \d{4} \(published (\d{4}-\d\d-\d\d)\)$")


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the transcribed table."""
    return {"figures": read_csv(Path(raw_dir) / SOURCE_ID / FILE, dtype=str)}


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
    """Clean the table; keep the quoted words and the reporting page of every figure."""
    df = frames["figures"]
    prefix = df["series"].str.split("_").str[0]
    meta = map_codes(prefix, SERIES, "series", FILE)
    unit = map_codes(df["unit"], UNITS, "unit", FILE)
    expected = meta.str[2]
    if (unit != expected).any():
        i = int(np.flatnonzero((unit != expected).to_numpy())[0])
        raise DataError(f"{FILE}: row {i + 2}: column unit: {df['unit'].iloc[i]!r} "
                        f"does not fit series {df['series'].iloc[i]!r}")
    periods = [period(t, i + 2) for i, t in enumerate(df["reference_period"])]
    out = pd.DataFrame({
        "figure_id": [f"F{i + 1:02d}" for i in range(len(df))],
        "series": df["series"],
        "producer": meta.str[0],
        "concept": meta.str[1],
        "period_start": [p[0] for p in periods],
        "period_end": [p[1] for p in periods],
        "destination": df["destination"],
        "destination_iso3": map_codes(df["destination"], EN_TO_ISO3, "destination", FILE)
        .astype("string"),
        "value": df["value"].astype("int64"),
        "unit": unit,
        "precision": df["precision"],
        "value_as_stated": df["value_as_stated"],
        "reporting_page_url": df["reporting_page_url"],
        "reporting_page_date": pd.to_datetime(df["reporting_page_date"], format="%Y-%m-%d"),
        "note": df["note"],
    })
    return {"press_figures": out}


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save({n: (t, KEYS[n]) for n, t in tables.items()}, out_dir)
