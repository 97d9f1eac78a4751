"""Chapter 4, asylum law and practice: parameters and computations (its figures are drawn by
:mod:`exile_report.figures.asylum`).

The rules here exist because asylum statistics are easy to misread:

* UNHCR rows count either persons (``P``) or cases (``C``, a case may hold a family). The two are
  never added: every function keeps them in separate columns or rows, and refuses to aggregate
  decisions across the two.
* "Recognition rate" means different things in different reports. Each rate computed here names
  its numerator and denominator (see :data:`RATE_FORMULAS`), and a rate whose denominator is below
  the chapter's ``min_decisions`` is hidden (missing), not shown as a noisy 0 % or 100 %.
* Before 2006 UNHCR did not split most countries' applications into new, repeat and appeal
  claims; those rows carry type ``V``. They are shown as their own series, never merged silently
  with the later ``N`` (new) series.
"""

from __future__ import annotations

import pandas as pd

from ..params import Param
from ..prose import cite
from ..schemas import ORIGINS

ORIGIN_NAMES = {"RUS": "Russia", "UKR": "Ukraine", "BLR": "Belarus"}
#: Adjectives for prose ("Russian asylum-seekers").
ORIGIN_ADJECTIVES = {"RUS": "Russian", "UKR": "Ukrainian", "BLR": "Belarusian"}

#: UNHCR decision level for first-instance decisions (documented in the package).
FIRST_INSTANCE = "FI"
#: Application types: new claims, and claims of unsplit type (2000-2005 only).
NEW, UNSPLIT = "N", "V"
#: First year of the full-scale invasion (and of the mobilisation).
WAR_YEAR = 2022

#: What each rate divides by what; printed in captions and tables.
RATE_FORMULAS = {
    "refugee_rate": "refugee status ÷ substantive decisions (refugee status + complementary "
    "protection + rejected)",
    "protection_rate": "(refugee status + complementary protection) ÷ substantive decisions",
    "closed_share": "otherwise closed ÷ all decisions reported",
}

PARAMETERS = [
    Param(
        "start_year",
        "int",
        "First year of the statistics.",
        minimum=2000,
        maximum=2030,
        default=2000,
    ),
    Param(
        "end_year", "int", "Last year of the statistics.", minimum=2000, maximum=2030, default=2025
    ),
    Param(
        "top_n",
        "int",
        "Number of destination countries to show.",
        minimum=1,
        maximum=40,
        default=10,
    ),
    Param(
        "origins",
        "list[str]",
        "Origins to compare (ISO3); the chapter describes the first in detail.",
        choices=ORIGINS,
        default=list(ORIGINS),
    ),
    Param(
        "min_decisions",
        "int",
        "Minimum first-instance decisions for a rate to be shown.",
        minimum=0,
        maximum=100000,
        default=50,
    ),
]


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: the year range must run forwards."""
    if values["start_year"] > values["end_year"]:
        return [f"start_year ({values['start_year']}) is after end_year ({values['end_year']})"]
    return []


# --------------------------------------------------------------------------- rates


def _ratio(num: pd.Series, den: pd.Series, minimum: int) -> pd.Series:
    """num / den as float, missing where den is 0 or below ``minimum`` (never a division error)."""
    num = pd.to_numeric(num, errors="coerce").astype("Float64")
    den = pd.to_numeric(den, errors="coerce").astype("Float64")
    shown = (den > 0) & (den >= minimum)
    out = (num / den.where(shown)).where(shown)
    return out.astype("Float64")


def add_rates(decisions: pd.DataFrame, min_decisions: int = 0) -> pd.DataFrame:
    """Add ``substantive``, ``refugee_rate``, ``protection_rate`` and ``closed_share`` columns.

    Formulas are in :data:`RATE_FORMULAS`. A rate is missing when its own denominator is zero or
    below ``min_decisions``. ``dec_total`` is used as reported by UNHCR (in a few rows it differs
    from the sum of its parts).
    """
    out = decisions.copy()
    out["substantive"] = out["dec_recognized"] + out["dec_other"] + out["dec_rejected"]
    out["refugee_rate"] = _ratio(out["dec_recognized"], out["substantive"], min_decisions)
    out["protection_rate"] = _ratio(
        out["dec_recognized"] + out["dec_other"], out["substantive"], min_decisions
    )
    out["closed_share"] = _ratio(out["dec_closed"], out["dec_total"], min_decisions)
    return out


DECISION_COLUMNS = ["dec_recognized", "dec_other", "dec_rejected", "dec_closed", "dec_total"]


def sum_decisions(decisions: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sum decision counts by ``by``, which must keep persons and cases apart.

    Raises ``ValueError`` when ``dec_pc`` is not among ``by`` and the rows mix persons and cases:
    adding a family case to a person would make the total meaningless.
    """
    if "dec_pc" not in by and decisions["dec_pc"].nunique() > 1:
        raise ValueError(
            "decisions mix persons (P) and cases (C); group by 'dec_pc' to keep them apart"
        )
    if decisions.empty:
        return pd.DataFrame(columns=[*by, *DECISION_COLUMNS])
    return decisions.groupby(by, as_index=False, dropna=False)[DECISION_COLUMNS].sum()


def first_instance(decisions: pd.DataFrame, origin: str, start: int, end: int) -> pd.DataFrame:
    """First-instance (``FI``) decision rows for one origin within the year range."""
    d = decisions
    return d[
        (d["origin_iso3"] == origin)
        & (d["dec_level"] == FIRST_INSTANCE)
        & d["year"].between(start, end)
    ]


def decision_period(start: int, end: int) -> tuple[int, int]:
    """The years the destination table sums: the war years among those shown, else all of them."""
    if end >= WAR_YEAR:
        return max(start, WAR_YEAR), end
    return start, end


def decisions_by_destination(
    decisions: pd.DataFrame, origin: str, start: int, end: int, min_decisions: int
) -> pd.DataFrame:
    """First-instance decisions per destination and unit (P/C) over the years, with rates.

    Sorted by all decisions, largest first. A destination reporting both persons and cases
    appears twice, once per unit.
    """
    fi = first_instance(decisions, origin, start, end)
    out = sum_decisions(fi, ["asylum_iso3", "asylum_name", "dec_pc"])
    if out.empty:
        return add_rates(out.astype({c: "Int64" for c in DECISION_COLUMNS}), min_decisions)
    out = add_rates(out, min_decisions)
    return out.sort_values(["dec_total", "asylum_iso3"], ascending=[False, True], ignore_index=True)


def yearly_rates(
    decisions: pd.DataFrame,
    origins: list[str],
    start: int,
    end: int,
    min_decisions: int,
    unit: str = "P",
) -> pd.DataFrame:
    """First-instance decisions and rates per year and origin, for one unit (persons by default)."""
    d = decisions
    fi = d[
        d["origin_iso3"].isin(origins)
        & (d["dec_level"] == FIRST_INSTANCE)
        & d["year"].between(start, end)
        & (d["dec_pc"] == unit)
    ]
    out = sum_decisions(fi, ["origin_iso3", "year"])
    return add_rates(out, min_decisions).sort_values(["origin_iso3", "year"], ignore_index=True)


# --------------------------------------------------------------------------- applications


def _year_frame(start: int, end: int, last_year: int) -> pd.DataFrame:
    years = range(start, min(end, last_year) + 1)
    return pd.DataFrame({"year": pd.array(list(years), dtype="Int64")})


def yearly_applications(apps: pd.DataFrame, origin: str, start: int, end: int) -> pd.DataFrame:
    """Applications lodged abroad per year by one origin, persons and cases in separate columns.

    Columns: ``new_persons``, ``new_cases`` (type ``N``), ``unsplit_persons``, ``unsplit_cases``
    (type ``V``, 2000-2005, when most countries did not split new from other claims). Summed over
    all countries of asylum and procedure types (government, joint, UNHCR; each claim is lodged
    with one). Missing where no such row exists; years after the data's last year are dropped.
    """
    a = apps[(apps["origin_iso3"] == origin) & apps["year"].between(start, end)]
    out = _year_frame(start, end, int(apps["year"].max()))
    for app_type, name in ((NEW, "new"), (UNSPLIT, "unsplit")):
        for pc, unit in (("P", "persons"), ("C", "cases")):
            rows = a[(a["app_type"] == app_type) & (a["app_pc"] == pc)]
            sums = rows.groupby("year")["applied"].sum().rename(f"{name}_{unit}")
            out = out.merge(sums, left_on="year", right_index=True, how="left")
    return out


def applications_by_origin(
    apps: pd.DataFrame, origins: list[str], start: int, end: int
) -> pd.DataFrame:
    """Long table: year, origin, new applications by persons and by cases (types N and V apart)."""
    frames = []
    for origin in origins:
        f = yearly_applications(apps, origin, start, end)
        f.insert(1, "origin_iso3", origin)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def top_destinations(
    apps: pd.DataFrame, origin: str, start: int, end: int, top_n: int
) -> pd.DataFrame:
    """The ``top_n`` countries of asylum per year by applications lodged by persons.

    Counts new claims (``N``) and, for 2000-2005, claims of unsplit type (``V``); no
    country-year holds both. Cases are left out (they cannot be ranked against persons).
    Columns: year, rank, asylum_iso3, asylum_name, applied, share (of the year's total of the
    same rows, all destinations).
    """
    a = apps[
        (apps["origin_iso3"] == origin)
        & apps["year"].between(start, end)
        & apps["app_type"].isin([NEW, UNSPLIT])
        & (apps["app_pc"] == "P")
    ]
    cols = ["year", "rank", "asylum_iso3", "asylum_name", "applied", "share"]
    if a.empty:
        return pd.DataFrame(columns=cols)
    per = a.groupby(["year", "asylum_iso3", "asylum_name"], as_index=False)["applied"].sum()
    per = per[per["applied"] > 0]
    per["share"] = (per["applied"] / per.groupby("year")["applied"].transform("sum")).astype(float)
    per = per.sort_values(["year", "applied", "asylum_iso3"], ascending=[True, False, True])
    per["rank"] = per.groupby("year").cumcount() + 1
    return per[per["rank"] <= top_n][cols].reset_index(drop=True)


# --------------------------------------------------------------------------- stocks


def end_year_stock(
    pop_origin_year: pd.DataFrame, origins: list[str], start: int, end: int
) -> pd.DataFrame:
    """End-year refugees and asylum-seekers (pending claims) per origin, persons."""
    p = pop_origin_year
    out = p[p["origin_iso3"].isin(origins) & p["year"].between(start, end)]
    return out[["year", "origin_iso3", "refugees", "asylum_seekers"]].sort_values(
        ["origin_iso3", "year"], ignore_index=True
    )


# --------------------------------------------------------------------------- United Kingdom


def uk_yearly_applications(
    uk_apps: pd.DataFrame, origins: list[str], start: int, end: int
) -> pd.DataFrame:
    """UK asylum applications per year and nationality: main applicants and dependants apart.

    ``months_covered`` is three times the number of quarters in the data for that year (the
    snapshot ends in September 2024, so 2024 has 9).
    """
    u = uk_apps[uk_apps["nationality_iso3"].isin(origins) & uk_apps["year"].between(start, end)]
    cols = ["year", "nationality_iso3", "main_applicants", "dependants", "months_covered"]
    if u.empty:
        return pd.DataFrame(columns=cols)
    wide = u.pivot_table(
        index=["year", "nationality_iso3"],
        columns="applicant_type",
        values="applications",
        aggfunc="sum",
    ).reset_index()
    wide = wide.rename(columns={"main-applicant": "main_applicants", "dependant": "dependants"})
    for c in ("main_applicants", "dependants"):
        if c not in wide:
            wide[c] = pd.NA
        wide[c] = wide[c].astype("Int64")
    quarters = uk_apps.groupby("year")["quarter"].nunique().rename("months_covered") * 3
    wide = wide.merge(quarters, left_on="year", right_index=True, how="left")
    wide.columns.name = None
    return wide[cols].sort_values(["nationality_iso3", "year"], ignore_index=True)


def uk_grant_rates(
    rates: pd.DataFrame, origins: list[str], start: int, end: int, min_decisions: int
) -> pd.DataFrame:
    """Initial grant rate per year and nationality: grants ÷ (grants + refusals), recomputed.

    Hidden (missing) when grants + refusals is below ``min_decisions``.
    """
    r = rates[rates["nationality_iso3"].isin(origins) & rates["year"].between(start, end)]
    out = r[["year", "nationality_iso3", "grants", "refusals", "months_covered"]].copy()
    out["grant_rate"] = _ratio(out["grants"], out["grants"] + out["refusals"], min_decisions)
    return out.sort_values(["nationality_iso3", "year"], ignore_index=True)


def uk_outcomes(
    decisions: pd.DataFrame,
    origin: str,
    start: int,
    end: int,
    applicant_type: str = "main-applicant",
) -> pd.DataFrame:
    """UK initial decisions per year by outcome group for one nationality (wide), one applicant type."""
    d = decisions[
        (decisions["nationality_iso3"] == origin)
        & decisions["year"].between(start, end)
        & (decisions["applicant_type"] == applicant_type)
    ]
    groups = [
        "grant-of-protection",
        "grant-of-other-leave",
        "refused",
        "withdrawn",
        "administrative-outcome",
    ]
    if d.empty:
        return pd.DataFrame(columns=["year", *groups, "months_covered"])
    wide = (
        d.pivot_table(index="year", columns="outcome_group", values="decisions", aggfunc="sum")
        .reindex(columns=groups)
        .reset_index()
    )
    wide.columns.name = None
    for g in groups:
        wide[g] = wide[g].fillna(0).astype("Int64")
    months = d.groupby("year")["months_covered"].max()
    wide["months_covered"] = wide["year"].map(months).astype("Int64")
    return wide


def months_label(months_covered) -> str:
    """A partial year's months as the tables print them: 9 -> 'Jan–Sep'; '' for a full year."""
    import calendar

    m = int(months_covered)
    return "" if m >= 12 else f"Jan–{calendar.month_abbr[m]}"


def uk_totals(totals: pd.DataFrame, origins: list[str], min_decisions: int) -> pd.DataFrame:
    """The Home Office's totals of initial decisions over a span of years (no yearly split), for
    the selected nationalities it lists: decisions, grants, refusals and the grant rate,
    grants ÷ (grants + refusals), recomputed and hidden below ``min_decisions``. In the order of
    ``origins``."""
    t = totals[totals["nationality_iso3"].isin(origins)].copy()
    t["_o"] = t["nationality_iso3"].map({o: i for i, o in enumerate(origins)})
    t["grant_rate"] = _ratio(t["grants"], t["grants"] + t["refusals"], min_decisions)
    cols = [
        "nationality_iso3",
        "period_start",
        "period_end",
        "decisions",
        "grants",
        "refusals",
        "grant_rate",
    ]
    return t.sort_values("_o")[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- law


#: Order of the rules table within each scope (international first, then EU): binding texts
#: before the case law, and guidance (UNHCR guidelines, Advocate General's opinions) last.
RULES_ORDER = ("convention", "eu-directive", "eu-regulation", "judgment", "guidance")
#: Jurisdictions of the practice table in the order the chapter discusses them; others follow
#: alphabetically, Russia's own laws (the source of the fear) last.
PRACTICE_ORDER = (
    "DEU",
    "FRA",
    "USA",
    "GBR",
    "NLD",
    "BEL",
    "ITA",
    "CZE",
    "EST",
    "LVA",
    "LTU",
    "KAZ",
    "KGZ",
    "ARM",
    "UZB",
)
JURISDICTION_NAMES = {
    "INT": "International",
    "EUU": "European Union",
    "DEU": "Germany",
    "FRA": "France",
    "USA": "United States",
    "GBR": "United Kingdom",
    "NLD": "Netherlands",
    "BEL": "Belgium",
    "ITA": "Italy",
    "CZE": "Czechia",
    "EST": "Estonia",
    "LVA": "Latvia",
    "LTU": "Lithuania",
    "KAZ": "Kazakhstan",
    "KGZ": "Kyrgyzstan",
    "ARM": "Armenia",
    "UZB": "Uzbekistan",
    "RUS": "Russia",
}


def _iso_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d").astype("string")


def legal_rules(legal: pd.DataFrame) -> pd.DataFrame:
    """International and EU rules and case law (jurisdiction INT or EUU), convention first.

    Columns: Instrument or decision, Reference, Date, What it provides, Source (a citation).
    """
    order = {k: i for i, k in enumerate(RULES_ORDER)}
    t = legal[legal["jurisdiction"].isin(["INT", "EUU"])].copy()
    t["_s"] = (t["jurisdiction"] != "INT").astype(int)
    t["_k"] = t["kind"].map(order).fillna(len(order))
    t["_d"] = pd.to_datetime(t["date"], errors="coerce")
    t = t.sort_values(["_s", "_k", "_d", "legal_id"], na_position="last")
    return pd.DataFrame(
        {
            "Instrument or decision": t["title"].astype(str),
            "Reference": t["reference"].astype("string"),
            "Date": _iso_date(t["date"]),
            "What it provides": t["provision"].astype(str),
            "Source": [cite(k) for k in t["citation_key"]],
        }
    ).reset_index(drop=True)


def legal_practice(legal: pd.DataFrame) -> pd.DataFrame:
    """National law, practice and judgments, ordered as :data:`PRACTICE_ORDER`, Russia last.

    Columns: Jurisdiction, Practice or decision, Date, Source (a citation); the full text of
    each row (reference, provision, relevance) goes to the CSV through :func:`legal_practice_full`.
    """
    t = _practice_sorted(legal)
    return pd.DataFrame(
        {
            "Jurisdiction": t["jurisdiction"].map(lambda j: JURISDICTION_NAMES.get(j, j)),
            "Practice or decision": t["title"].astype(str),
            "Date": _iso_date(t["date"]),
            "Source": [cite(k) for k in t["citation_key"]],
        }
    ).reset_index(drop=True)


def _practice_sorted(legal: pd.DataFrame) -> pd.DataFrame:
    rank = {j: i for i, j in enumerate(PRACTICE_ORDER)}
    t = legal[~legal["jurisdiction"].isin(["INT", "EUU"])].copy()
    t["_j"] = t["jurisdiction"].map(rank).fillna(len(rank))
    t.loc[t["jurisdiction"] == "RUS", "_j"] = len(rank) + 1
    t["_d"] = pd.to_datetime(t["date"], errors="coerce")
    return t.sort_values(["_j", "jurisdiction", "legal_id"])


def legal_practice_full(legal: pd.DataFrame) -> pd.DataFrame:
    """The practice rows in table order with every column of the curated table (for the CSV)."""
    t = _practice_sorted(legal)
    return t[[c for c in legal.columns]].reset_index(drop=True)


def legal_row(legal: pd.DataFrame, legal_id: str) -> pd.Series:
    """One row of the legal table by id; ``LookupError`` if it is gone (prose cites it)."""
    hits = legal[legal["legal_id"] == legal_id]
    if hits.empty:
        raise LookupError(f"legal.csv has no row {legal_id}")
    return hits.iloc[0]


def find_legal(legal: pd.DataFrame, text: str, column: str = "reference") -> pd.Series:
    """The one row of the legal table whose ``column`` contains ``text`` (case-insensitive).

    Raises ``LookupError`` naming what is missing, so prose never loses its citation silently.
    """
    hits = legal[
        legal[column].astype("string").str.contains(text, case=False, regex=False, na=False)
    ]
    if hits.empty:
        raise LookupError(f"legal.csv has no row whose {column} contains {text!r}")
    return hits.iloc[0]


# --------------------------------------------------------------------------- names


#: Short display names for UNHCR's long official ones.
SHORT_NAMES = {
    "United Kingdom of Great Britain and Northern Ireland": "United Kingdom",
    "United States of America": "United States",
    "Rep. of Korea": "South Korea",
    "Iran (Islamic Rep. of)": "Iran",
    "Serbia and Kosovo: S/RES/1244 (1999)": "Serbia and Kosovo",
    "Türkiye": "Türkiye",
    "Netherlands (Kingdom of the)": "Netherlands",
    "Czechia": "Czechia",
}


def short_name(name) -> str:
    """A destination's name short enough for a table cell or an axis label."""
    name = str(name)
    return SHORT_NAMES.get(name, name)


def in_prose(name) -> str:
    """A short name as it reads inside a sentence ("the United States")."""
    name = short_name(name)
    return f"the {name}" if name in ("United States", "United Kingdom", "Netherlands") else name


def destination_label(decisions: pd.DataFrame) -> pd.Series:
    """Short destination names, with '(cases)' on the rows that count cases."""
    cases = decisions["dec_pc"].eq("C").map({True: " (cases)", False: ""})
    return decisions["asylum_name"].map(short_name) + cases


#: The decision levels under which UNHCR files the United States' decisions, in words. UNHCR's
#: documentation defines ``AR`` (administrative review); ``EO`` and ``IN`` occur for no other
#: country and are not defined there: the chapter reads them by their letters as the two US
#: asylum authorities, and says that this reading is ours.
US_DECISION_LEVELS = {
    "IN": "asylum officers (IN, Immigration and Naturalization Service, now USCIS)",
    "EO": "immigration judges (EO, Executive Office for Immigration Review)",
    "AR": "administrative review (AR)",
}


def level_name(code: str) -> str:
    """A US decision level in words (:data:`US_DECISION_LEVELS`), else the code itself."""
    return US_DECISION_LEVELS.get(str(code), str(code))


def decisions_by_level(
    decisions: pd.DataFrame, origin: str, asylum_iso3: str, start: int, end: int, min_decisions: int
) -> pd.DataFrame:
    """All decisions for one origin in one destination over the years, per level and unit.

    Used for the United States, which reports no ``FI`` level: its decisions appear under other
    level codes, kept apart here rather than relabelled as first instance.
    """
    d = decisions[
        (decisions["origin_iso3"] == origin)
        & (decisions["asylum_iso3"] == asylum_iso3)
        & decisions["year"].between(start, end)
    ]
    out = sum_decisions(d, ["dec_level", "dec_pc"])
    if out.empty:
        return add_rates(out.astype({c: "Int64" for c in DECISION_COLUMNS}), min_decisions)
    return add_rates(out, min_decisions).sort_values(
        "dec_total", ascending=False, ignore_index=True
    )


# --------------------------------------------------------------------------- totals


def persons_lodged(yearly: pd.DataFrame) -> pd.Series:
    """New applications by persons, plus before 2006 those of unsplit type (never in the same
    country-year). Missing where neither exists. Cases are not included."""
    both = yearly[["new_persons", "unsplit_persons"]]
    return both.sum(axis=1, min_count=1).astype("Int64")
