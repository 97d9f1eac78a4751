"""UK Home Office asylum statistics (via the R package ``asylum``): applications per
quarter, initial decisions per year and initial grant rates per year.

The latest release ends with 2024 Q3, so annual 2024 figures cover nine months; every
annual table carries ``months_covered`` so no chart can mistake 2024 for a full year.

A second, newer snapshot (December 2025 release, table Asy_D02, as compiled by a third party)
gives only totals of initial decisions over 2020-2025 per nationality (no yearly split):
``uk_initial_decisions_totals``, with the period in ``period_start``/``period_end``. Releases
revise earlier quarters, so it is never subtracted from the quarterly tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from exile_report.data import DataError
from exile_report.processing._common import map_codes, read_csv
from exile_report.processing._common import save as _save
from exile_report.processing.countries import EN_TO_ISO3

SOURCE_ID = "uk-home-office-asylum"
FILES = {
    "applications": "uk_applications_RUS_UKR_BLR.csv",
    "decisions": "uk_decisions_resettlement_RUS_UKR_BLR.csv",
    "grant_rates": "uk_grant_rates_initial_annual_all_nationalities.csv",
    "countries": "../unhcr-refugees-package/unhcr_countries.csv",
}
APPLICANT = {"Main applicant": "main-applicant", "Dependant": "dependant"}
OUTCOME = {
    "Grant of Protection": "grant-of-protection",
    "Grant of Other Leave": "grant-of-other-leave",
    "Refused": "refused",
    "Withdrawn": "withdrawn",
    "Administrative Outcome": "administrative-outcome",
}
SOURCE_ID_2025 = "uk-home-office-asylum-2025-12"
FILE_2025 = "grant_rates_by_nationality_2025-12.json"
# The league table's columns, as named in the file, and ours.
TOTALS_COLUMNS = {
    "nationality": "nationality",
    "region": "region",
    "grants": "grants",
    "refusals": "refusals",
    "withdrawn": "withdrawn",
    "administrativeOutcomes": "administrative_outcomes",
    "substantiveDecisions": "substantive_decisions",
    "totalDecisions": "decisions",
    "grantRatePct": "grant_rate_pct_source",
}
_PERIOD = re.compile(r"Recent period = (\d{4})-(\d{4})")
OURS = {"Russia": "RUS", "Ukraine": "UKR", "Belarus": "BLR"}
RATE_TOLERANCE = 1e-9


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the three Home Office tables (and UNHCR's country list, for ISO3 codes)."""
    folder = Path(raw_dir) / SOURCE_ID
    frames = {name: read_csv(folder / file) for name, file in FILES.items()}
    path = Path(raw_dir) / SOURCE_ID_2025 / FILE_2025
    if not path.is_file():
        raise DataError(f"{path}: raw file missing")
    doc = json.loads(path.read_text(encoding="utf-8"))
    period = _PERIOD.search(str(doc.get("methodology", "")))
    if period is None or not isinstance(doc.get("leagueTable"), list):
        raise DataError(
            f"{FILE_2025}: no 'Recent period = YYYY-YYYY' in 'methodology' or no 'leagueTable' list"
        )
    table = pd.DataFrame(doc["leagueTable"])
    missing = [c for c in TOTALS_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{FILE_2025}: leagueTable: columns {missing} missing")
    frames["totals"] = (
        table[list(TOTALS_COLUMNS)]
        .rename(columns=TOTALS_COLUMNS)
        .assign(
            period_start=pd.Timestamp(year=int(period[1]), month=1, day=1),
            period_end=pd.Timestamp(year=int(period[2]), month=12, day=31),
        )
    )
    return frames


def totals_2020_2025(t: pd.DataFrame, countries: pd.DataFrame) -> pd.DataFrame:
    """Totals of initial decisions per nationality over the snapshot's period, with every sum
    and the grant rate (grants / (grants + refusals)) checked against the file's own columns."""

    def fail(mask, what):
        i = int(np.flatnonzero(mask.to_numpy())[0])
        raise DataError(
            f"{FILE_2025}: leagueTable entry {i + 1} ({t['nationality'].iloc[i]}): {what}"
        )

    counts = [
        "grants",
        "refusals",
        "withdrawn",
        "administrative_outcomes",
        "substantive_decisions",
        "decisions",
    ]
    bad = t[counts].isna().any(axis=1) | (t[counts] < 0).any(axis=1)
    if bad.any():
        fail(bad, "a count is missing or negative")
    t = t.astype({c: "int64" for c in counts})
    bad = t["grants"] + t["refusals"] != t["substantive_decisions"]
    if bad.any():
        fail(bad, "grants + refusals != substantiveDecisions")
    bad = (
        t["substantive_decisions"] + t["withdrawn"] + t["administrative_outcomes"] != t["decisions"]
    )
    if bad.any():
        fail(bad, "substantive + withdrawn + administrative != totalDecisions")
    rate = t["grants"] / t["substantive_decisions"]
    bad = ((rate * 100).round(1) - t["grant_rate_pct_source"]).abs() > 0.05 + RATE_TOLERANCE
    if bad.any():
        fail(bad, "grantRatePct is not grants / (grants + refusals) to one decimal")
    out = t.assign(
        nationality_iso3=_iso3_for(t["nationality"], countries, FILE_2025),
        grant_rate=rate.astype("float64"),
        grant_rate_pct_source=t["grant_rate_pct_source"].astype("float64"),
    )
    keys = ["nationality", "nationality_iso3", "region", "period_start", "period_end"]
    return out[[*keys, *counts, "grant_rate", "grant_rate_pct_source"]]


def _months_covered(quarterly: pd.DataFrame) -> dict[int, int]:
    """Months of each year present in the quarterly release (3 per quarter seen)."""
    return (quarterly.groupby("Year")["Quarter"].nunique() * 3).astype(int).to_dict()


def _quarter(df: pd.DataFrame, file: str) -> pd.Series:
    """'2024 Q3' -> 3, checking the year part agrees with the Year column."""
    parts = df["Quarter"].str.extract(r"^(\d{4}) Q([1-4])$")
    bad = parts[0].isna() | (parts[0].astype(float) != df["Year"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{file}: row {i + 2}: column Quarter: {df['Quarter'].iloc[i]!r}")
    return parts[1].astype("int64")


def _iso3_for(
    names: pd.Series, countries: pd.DataFrame, file: str = FILES["grant_rates"]
) -> pd.Series:
    """Home Office nationality -> ISO3 via UNHCR's country names, then our exceptions."""
    lookup = dict(zip(countries["name"], countries["iso_code"])) | EN_TO_ISO3
    return map_codes(names, lookup, "nationality", file).astype("string")


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Build uk_applications, uk_initial_decisions and uk_grant_rates."""
    apps, decs = frames["applications"], frames["decisions"]
    months = _months_covered(apps) | _months_covered(decs)

    apps = apps.assign(
        quarter=_quarter(apps, FILES["applications"]),
        nationality_iso3=map_codes(apps["Nationality"], OURS, "nationality", FILES["applications"]),
        applicant_type=map_codes(
            apps["Applicant type"], APPLICANT, "applicant type", FILES["applications"]
        ),
    )
    applications = (
        apps.groupby(["Year", "quarter", "nationality_iso3", "Nationality", "applicant_type"])[
            "Applications"
        ]
        .sum()
        .reset_index()
        .rename(
            columns={"Year": "year", "Nationality": "nationality", "Applications": "applications"}
        )
    )

    decs = decs[decs["Case type"] == "Asylum Case"]
    decs = decs.assign(
        nationality_iso3=map_codes(decs["Nationality"], OURS, "nationality", FILES["decisions"]),
        applicant_type=map_codes(
            decs["Applicant type"], APPLICANT, "applicant type", FILES["decisions"]
        ),
        outcome_group=map_codes(
            decs["Case outcome group"], OUTCOME, "outcome group", FILES["decisions"]
        ),
    )
    decisions = (
        decs.groupby(
            ["Year", "nationality_iso3", "Nationality", "applicant_type", "outcome_group"]
        )["Decisions"]
        .sum()
        .reset_index()
        .rename(columns={"Year": "year", "Nationality": "nationality", "Decisions": "decisions"})
    )
    decisions["months_covered"] = decisions["year"].map(months).astype("int64")

    g = frames["grant_rates"]
    decided = g["Grant"] + g["Refused"]
    rate = (g["Grant"] / decided.where(decided > 0)).astype("float64")
    source_rate = g["Initial grant rate"].astype("float64")
    mismatch = (rate - source_rate).abs() > RATE_TOLERANCE
    mismatch |= rate.isna() != source_rate.isna()
    if mismatch.any():
        i = int(np.flatnonzero(mismatch.to_numpy())[0])
        raise DataError(
            f"{FILES['grant_rates']}: row {i + 2}: column Initial grant rate: source says "
            f"{float(source_rate.iloc[i])!r}, Grant/(Grant+Refused) gives {float(rate.iloc[i])!r}"
        )
    grant_rates = pd.DataFrame(
        {
            "year": g["Year"].astype("int64"),
            "nationality": g["Nationality"],
            "nationality_iso3": _iso3_for(g["Nationality"], frames["countries"]),
            "grants": g["Grant"].astype("int64"),
            "refusals": g["Refused"].astype("int64"),
            "grant_rate": rate,
            "grant_rate_source": source_rate,
            "months_covered": g["Year"].map(months).astype("int64"),
        }
    )
    return {
        "uk_applications": applications[
            ["year", "quarter", "nationality_iso3", "nationality", "applicant_type", "applications"]
        ],
        "uk_initial_decisions": decisions[
            [
                "year",
                "nationality_iso3",
                "nationality",
                "applicant_type",
                "outcome_group",
                "decisions",
                "months_covered",
            ]
        ],
        "uk_grant_rates": grant_rates,
        "uk_initial_decisions_totals": totals_2020_2025(frames["totals"], frames["countries"]),
    }


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save(tables, out_dir)
