"""UK Home Office asylum statistics (via the R package ``asylum``): applications per
quarter, initial decisions per year and initial grant rates per year.

The latest release ends with 2024 Q3, so annual 2024 figures cover nine months; every
annual table carries ``months_covered`` so no chart can mistake 2024 for a full year."""

from __future__ import annotations

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
OURS = {"Russia": "RUS", "Ukraine": "UKR", "Belarus": "BLR"}
RATE_TOLERANCE = 1e-9
KEYS = {
    "uk_applications": ["year", "quarter", "nationality_iso3", "applicant_type"],
    "uk_initial_decisions": ["year", "nationality_iso3", "applicant_type", "outcome_group"],
    "uk_grant_rates": ["year", "nationality"],
}


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the three Home Office tables (and UNHCR's country list, for ISO3 codes)."""
    folder = Path(raw_dir) / SOURCE_ID
    return {name: read_csv(folder / file) for name, file in FILES.items()}


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


def _iso3_for(names: pd.Series, countries: pd.DataFrame) -> pd.Series:
    """Home Office nationality -> ISO3 via UNHCR's country names, then our exceptions."""
    lookup = dict(zip(countries["name"], countries["iso_code"])) | EN_TO_ISO3
    return map_codes(names, lookup, "nationality", FILES["grant_rates"]).astype("string")


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Build uk_applications, uk_initial_decisions and uk_grant_rates."""
    apps, decs = frames["applications"], frames["decisions"]
    months = _months_covered(apps) | _months_covered(decs)

    apps = apps.assign(
        quarter=_quarter(apps, FILES["applications"]),
        nationality_iso3=map_codes(apps["Nationality"], OURS, "nationality", FILES["applications"]),
        applicant_type=map_codes(apps["Applicant type"], APPLICANT, "applicant type",
                                 FILES["applications"]),
    )
    applications = (
        apps.groupby(["Year", "quarter", "nationality_iso3", "Nationality", "applicant_type"])
        ["Applications"].sum().reset_index()
        .rename(columns={"Year": "year", "Nationality": "nationality",
                         "Applications": "applications"})
    )

    decs = decs[decs["Case type"] == "Asylum Case"]
    decs = decs.assign(
        nationality_iso3=map_codes(decs["Nationality"], OURS, "nationality", FILES["decisions"]),
        applicant_type=map_codes(decs["Applicant type"], APPLICANT, "applicant type",
                                 FILES["decisions"]),
        outcome_group=map_codes(decs["Case outcome group"], OUTCOME, "outcome group",
                                FILES["decisions"]),
    )
    decisions = (
        decs.groupby(["Year", "nationality_iso3", "Nationality", "applicant_type", "outcome_group"])
        ["Decisions"].sum().reset_index()
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
    grant_rates = pd.DataFrame({
        "year": g["Year"].astype("int64"),
        "nationality": g["Nationality"],
        "nationality_iso3": _iso3_for(g["Nationality"], frames["countries"]),
        "grants": g["Grant"].astype("int64"),
        "refusals": g["Refused"].astype("int64"),
        "grant_rate": rate,
        "grant_rate_source": source_rate,
        "months_covered": g["Year"].map(months).astype("int64"),
    })
    return {
        "uk_applications": applications[["year", "quarter", "nationality_iso3", "nationality",
                                         "applicant_type", "applications"]],
        "uk_initial_decisions": decisions[["year", "nationality_iso3", "nationality",
                                           "applicant_type", "outcome_group", "decisions",
                                           "months_covered"]],
        "uk_grant_rates": grant_rates,
    }


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save({n: (t, KEYS[n]) for n, t in tables.items()}, out_dir)
