"""UNHCR Refugee Population Statistics (R package ``refugees``): asylum applications,
decisions and end-year stocks for origins Russia, Ukraine and Belarus, plus per-origin and
all-origin yearly series for comparison.

Application types, persons/cases, decision levels and procedure types stay as columns:
summing across them would add incomparable things (a case may hold several persons; an
appeal is not a new claim)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from exile_report.processing._common import read_csv
from exile_report.processing._common import save as _save
from exile_report.schemas import ORIGINS

SOURCE_ID = "unhcr-refugees-package"
WORLD = "WLD"
FILES = {
    "applications": "unhcr_asylum_applications_origin_RUS_UKR_BLR.csv",
    "decisions": "unhcr_asylum_decisions_origin_RUS_UKR_BLR.csv",
    "population": "unhcr_population_origin_RUS_UKR_BLR.csv",
    "applications_by_origin": "unhcr_asylum_applications_by_origin_year_all_origins.csv",
    "decisions_by_origin": "unhcr_asylum_decisions_by_origin_year_all_origins.csv",
    "population_by_origin": "unhcr_population_by_origin_year_all_origins.csv",
    "applications_total": "unhcr_asylum_applications_total_by_year_all_origins.csv",
    "decisions_total": "unhcr_asylum_decisions_total_by_year_all_origins.csv",
    "population_total": "unhcr_population_total_by_year_all_origins.csv",
}
DEC_COUNTS = ["dec_recognized", "dec_other", "dec_rejected", "dec_closed", "dec_total"]
STOCKS = ["refugees", "asylum_seekers", "oip"]


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the UNHCR CSVs this report uses."""
    folder = Path(raw_dir) / SOURCE_ID
    return {name: read_csv(folder / file) for name, file in FILES.items()}


def _ints(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Counts as nullable integers (an empty cell stays missing, never becomes 0)."""
    out = df.copy()
    for c in cols:
        out[c] = out[c].astype("Int64")
    return out


def _by_asylum(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    """Origin-file rows for our origins, renamed to the report's column names."""
    df = df[df["coo_iso"].isin(ORIGINS)].rename(
        columns={"coo_iso": "origin_iso3", "coa_iso": "asylum_iso3", "coa_name": "asylum_name"}
    )
    return df[["year", "origin_iso3", "asylum_iso3", "asylum_name", *extra]]


def _with_world(by_origin: pd.DataFrame, total: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Per-origin series for our origins stacked on the all-origin total (``WLD``)."""
    ours = by_origin[by_origin["coo_iso"].isin(ORIGINS)].rename(columns={"coo_iso": "origin_iso3"})
    world = total.assign(origin_iso3=WORLD)
    return pd.concat([ours[cols], world[cols]], ignore_index=True)


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Build the six UNHCR tables described in data/README.md."""
    f = frames
    return {
        "unhcr_applications": _ints(
            _by_asylum(
                f["applications"], ["procedure_type", "app_type", "dec_level", "app_pc", "applied"]
            ),
            ["year", "applied"],
        ),
        "unhcr_decisions": _ints(
            _by_asylum(f["decisions"], ["procedure_type", "dec_level", "dec_pc", *DEC_COUNTS]),
            ["year", *DEC_COUNTS],
        ),
        "unhcr_population": _ints(_by_asylum(f["population"], STOCKS), ["year", *STOCKS]),
        "unhcr_applications_origin_year": _ints(
            _with_world(
                f["applications_by_origin"],
                f["applications_total"],
                ["year", "origin_iso3", "app_type", "applied"],
            ),
            ["year", "applied"],
        ),
        "unhcr_decisions_origin_year": _ints(
            _with_world(
                f["decisions_by_origin"],
                f["decisions_total"],
                ["year", "origin_iso3", "dec_level", *DEC_COUNTS],
            ),
            ["year", *DEC_COUNTS],
        ),
        "unhcr_population_origin_year": _ints(
            _with_world(
                f["population_by_origin"], f["population_total"], ["year", "origin_iso3", *STOCKS]
            ),
            ["year", *STOCKS],
        ),
    }


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save(tables, out_dir)
