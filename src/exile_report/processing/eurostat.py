"""Eurostat tables on Russian citizens in nine European countries (residence permits,
naturalisations, emigration, population), as downloaded by the KiraKicka repository.

Eurostat's ``:`` (not available) stays missing; it is never read as zero."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from exile_report.processing._common import map_codes, read_csv
from exile_report.processing._common import save as _save
from exile_report.processing.countries import EN_TO_ISO3

SOURCE_ID = "eurostat-russian-citizens-permits-via-kirakicka"
FILE = "eurostat_RU_citizens_5tables_long.csv"


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the long table (the five wide files hold the same numbers)."""
    return {"long": read_csv(Path(raw_dir) / SOURCE_ID / FILE, dtype={"value_raw": str})}


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Dataset, country (ISO3 and name), year, value."""
    df = frames["long"]
    out = pd.DataFrame(
        {
            "dataset": df["dataset"],
            "geo_iso3": map_codes(df["geo"], EN_TO_ISO3, "country", FILE),
            "geo_name": df["geo"],
            "year": df["year"].astype("int64"),
            "value": df["value"].astype("Int64"),
        }
    )
    return {"eurostat_ru_citizens": out}


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save(tables, out_dir)
