"""Chapter 3, host-state responses: parameters and computations (its figures are drawn by
:mod:`exile_report.figures.host_states`).

The policy database (``data/curated/policies.csv``) records each measure a state (or the EU) took
towards Russian citizens, with the dates it was announced, came into force and ended. Everything
the chapter shows derives from one rule, :func:`status_as_of`, which says what a measure was on a
given day; the map, the timeline, the counts and the tables all call it, so they cannot disagree.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..coverage import edition_cutoff
from ..params import Param
from ..prose import cite
from ..schemas import MEASURE_TYPES

PARAMETERS = [
    Param(
        "as_of",
        "date",
        "Date the map of stances shows (default: the edition's cut-off, "
        "_quarto.yml edition: cutoff:).",
        default=f"{edition_cutoff():%Y-%m-%d}",
    ),
    Param(
        "jurisdictions",
        "list[str]",
        "Jurisdictions (ISO3, EUU for the EU) to include.",
        default=[
            "EUU",
            "EST",
            "LVA",
            "LTU",
            "POL",
            "FIN",
            "CZE",
            "BEL",
            "DEU",
            "FRA",
            "GBR",
            "USA",
            "GEO",
            "ARM",
            "KAZ",
            "KGZ",
            "SRB",
            "TUR",
            "ISR",
            "MNG",
        ],
    ),
    Param(
        "measure_types",
        "list[str]",
        "Measure types to include.",
        choices=MEASURE_TYPES,
        default=list(MEASURE_TYPES),
    ),
]

_ISO3 = re.compile(r"^[A-Z]{3}$")

#: Member states of the EU since 1 February 2020 (the whole period the database covers).
EU_MEMBERS = (
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
)
EU = "EUU"

#: Measure types grouped into four families for the counts chart (eleven colours would not read).
FAMILIES = {
    "Visas, entry and borders": (
        "visa-suspension",
        "visa-restriction",
        "entry-ban",
        "border-closure",
    ),
    "Residence, registration, work": (
        "residence-rule",
        "registration-rule",
        "work-permit",
        "travel-document",
    ),
    "Protection (asylum, humanitarian visas)": ("humanitarian-visa", "asylum-practice"),
    "Other": ("other",),
}
FAMILY_OF = {t: fam for fam, types in FAMILIES.items() for t in types}


#: Host states for "what followed", in order of preference; the first four selected are drawn.
FLOW_HOSTS = ("FIN", "DEU", "FRA", "USA", "NLD", "ESP", "POL", "EST", "LVA", "LTU", "GBR", "ITA")

MOBILISATION = pd.Timestamp("2022-09-21")


def check_params(values: dict) -> list[str]:
    """Cross-checks the declarations cannot express: jurisdictions must be ISO3-shaped codes."""
    bad = [j for j in values.get("jurisdictions", []) if not _ISO3.match(str(j))]
    if bad:
        return [f"jurisdictions must be ISO 3166 alpha-3 codes (or EUU for the EU), got {bad}"]
    return []


def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(value)


# ---------------------------------------------------------------- the one rule


STATUSES = ("in force", "announced", "ended", "future", "undated")


def effective_start(policies: pd.DataFrame) -> pd.Series:
    """The day a measure began to apply: its date in force, or, when the sources give none, the
    day it was announced (statements and practices take effect when they are made public)."""
    return policies["date_in_force"].fillna(policies["date_announced"])


def status_as_of(policies: pd.DataFrame, as_of) -> pd.Series:
    """What each measure was on ``as_of``: one of :data:`STATUSES`.

    - ``in force``: it began on or before the day and had not ended (``date_ended`` is the last
      day it applied, so a measure is still in force on its end date);
    - ``announced``: announced on or before the day, in force only later;
    - ``ended``: its end date lies before the day;
    - ``future``: neither announced nor in force yet;
    - ``undated``: the sources give no start date and no past end date.
    """
    day = _ts(as_of)
    start = effective_start(policies)
    ann = policies["date_announced"]
    end = policies["date_ended"]
    out = pd.Series("undated", index=policies.index, dtype=object)
    dated = start.notna()
    out[dated & (start > day)] = "future"
    out[dated & (start > day) & ann.notna() & (ann <= day)] = "announced"
    out[dated & (start <= day)] = "in force"
    out[end.notna() & (end < day)] = "ended"
    return out


def _stance(n_restrictive: int, n_facilitating: int) -> str:
    if n_restrictive and n_facilitating:
        return "mixed"
    if n_restrictive:
        return "restrictive"
    if n_facilitating:
        return "facilitating"
    return "none in force"


def stance_as_of(
    policies: pd.DataFrame, as_of, jurisdictions=None, *, apply_eu: bool = False
) -> pd.DataFrame:
    """Each jurisdiction's stance on ``as_of``, from the measures in force that day.

    Returns one row per jurisdiction (those in ``jurisdictions`` when given, else those in the
    data) with counts of measures in force by direction, of measures announced but not yet in
    force, of ended ones, the in-force ids, and ``stance`` (restrictive, facilitating, mixed, none
    in force). With ``apply_eu`` the EU-level measures in force also count for every member
    state listed (the EU row itself is kept).
    """
    df = policies.assign(status=status_as_of(policies, as_of))
    codes = (
        list(jurisdictions)
        if jurisdictions is not None
        else list(dict.fromkeys(df["jurisdiction"].astype(str)))
    )
    rows = []
    eu_rows = df[df["jurisdiction"] == EU]
    for code in codes:
        own = df[df["jurisdiction"] == code]
        if apply_eu and code in EU_MEMBERS:
            own = pd.concat([own, eu_rows])
        live = own[own["status"] == "in force"]
        n_r = int((live["direction"] == "restrictive").sum())
        n_f = int((live["direction"] == "facilitating").sum())
        rows.append(
            {
                "jurisdiction": code,
                "restrictive_in_force": n_r,
                "facilitating_in_force": n_f,
                "announced_not_in_force": int((own["status"] == "announced").sum()),
                "ended": int((own["status"] == "ended").sum()),
                "undated": int((own["status"] == "undated").sum()),
                "in_force_ids": ";".join(live["policy_id"].astype(str)),
                "stance": _stance(n_r, n_f),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- selection and database checks


def select(policies: pd.DataFrame, jurisdictions, measure_types) -> pd.DataFrame:
    """The measures of the chosen jurisdictions and types, in the order of ``jurisdictions``."""
    order = {j: i for i, j in enumerate(jurisdictions)}
    df = policies[
        policies["jurisdiction"].isin(list(jurisdictions))
        & policies["measure_type"].isin(list(measure_types))
    ].copy()
    df["_order"] = df["jurisdiction"].map(order)
    df["start"] = effective_start(df)
    return (
        df.sort_values(["_order", "start", "policy_id"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def date_problems(policies: pd.DataFrame) -> list[str]:
    """Rows whose dates are out of order (announced after in force, or ending before starting)."""
    out = []
    for r in policies.itertuples():
        a, f, e = r.date_announced, r.date_in_force, r.date_ended
        if pd.notna(a) and pd.notna(f) and a > f:
            out.append(f"{r.policy_id}: announced {a:%Y-%m-%d} after in force {f:%Y-%m-%d}")
        start = f if pd.notna(f) else a
        if pd.notna(start) and pd.notna(e) and e < start:
            out.append(f"{r.policy_id}: ended {e:%Y-%m-%d} before it started {start:%Y-%m-%d}")
    return out


# ---------------------------------------------------------------- timeline


def pack_tracks(starts, ends) -> list[int]:
    """Greedy interval packing: the sub-row of each interval so that none overlaps another in the
    same sub-row. Intervals are taken in the order given (sort them by start first)."""
    track_end: list[pd.Timestamp] = []
    out = []
    for s, e in zip(starts, ends, strict=True):
        for i, te in enumerate(track_end):
            if s > te:
                track_end[i] = e
                out.append(i)
                break
        else:
            track_end.append(e)
            out.append(len(track_end) - 1)
    return out


def timeline_window(as_of) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The time axis: from 1 January 2022 (or a year before ``as_of`` if that is earlier) to
    ``as_of``."""
    day = _ts(as_of)
    start = min(pd.Timestamp("2022-01-01"), day - pd.Timedelta(days=365))
    return start, day


def timeline_data(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per measure known on ``as_of`` (announced or in force by then), with the interval
    drawn (clipped to the window), the lane and the sub-row inside the lane."""
    day = _ts(as_of)
    lo, _ = timeline_window(as_of)
    df = selected.assign(status=status_as_of(selected, day))
    df = df[df["status"].isin(["in force", "announced", "ended"]) & df["start"].notna()].copy()
    if df.empty:
        return df.assign(draw_start=pd.NaT, draw_end=pd.NaT, lane=0, track=0)
    df["draw_start"] = df["start"].clip(lower=lo)
    end = df["date_ended"].where(df["date_ended"].notna() & (df["date_ended"] <= day), day)
    # a measure drawn needs some width to be seen: at least ten days
    df["draw_end"] = np.maximum(end, df["draw_start"] + pd.Timedelta(days=10))
    df.loc[df["status"] == "announced", "draw_start"] = df.loc[
        df["status"] == "announced", "date_announced"
    ].clip(lower=lo)
    df["clipped"] = df["start"] < lo
    lanes = list(dict.fromkeys(df["jurisdiction"]))
    df["lane"] = df["jurisdiction"].map({j: i for i, j in enumerate(lanes)})
    df["track"] = 0
    for idx in df.groupby("lane").groups.values():
        part = df.loc[idx].sort_values("draw_start")
        df.loc[part.index, "track"] = pack_tracks(
            part["draw_start"], part["draw_end"] + pd.Timedelta(days=20)
        )
    return df.reset_index(drop=True)


# ---------------------------------------------------------------- counts over time


def half_year(ts: pd.Timestamp) -> str:
    """'2022 H2'."""
    return f"{ts.year} H{1 if ts.month <= 6 else 2}"


def counts_by_period(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """Measures taking effect per half-year (by effective start, up to ``as_of``), per family of
    measure type and direction: columns period, family, direction, measures."""
    day = _ts(as_of)
    df = selected[selected["start"].notna() & (selected["start"] <= day)].copy()
    cols = ["period", "family", "direction", "measures"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["period"] = df["start"].map(half_year)
    df["family"] = df["measure_type"].map(FAMILY_OF)
    out = df.groupby(["period", "family", "direction"]).size().rename("measures").reset_index()
    return out.sort_values(["period", "direction", "family"]).reset_index(drop=True)[cols]


def type_direction_table(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """Measures that had taken effect by ``as_of`` per measure type and direction."""
    day = _ts(as_of)
    df = selected[selected["start"].notna() & (selected["start"] <= day)]
    if df.empty:
        return pd.DataFrame(columns=["Measure type", "Restrictive", "Facilitating", "All"])
    t = df.pivot_table(
        index="measure_type", columns="direction", values="policy_id", aggfunc="count", fill_value=0
    )
    t = t.reindex(columns=["restrictive", "facilitating"], fill_value=0).astype(int)
    t["All"] = t.sum(axis=1)
    t = t.reindex([m for m in MEASURE_TYPES if m in t.index])
    t = t.sort_values("All", ascending=False, kind="stable").reset_index()
    t.columns = ["Measure type", "Restrictive", "Facilitating", "All"]
    return t


def stance_table(stance: pd.DataFrame, selected: pd.DataFrame, names: dict, as_of) -> pd.DataFrame:
    """The table under the map: stance, counts in force, and the latest measure known by then."""
    day = _ts(as_of)
    known = selected[selected["start"].notna() & (selected["start"] <= day)]
    rows = []
    for r in stance.itertuples():
        mine = known[known["jurisdiction"] == r.jurisdiction].sort_values("start")
        latest = "–"
        if len(mine):
            last = mine.iloc[-1]
            latest = f"{last['start']:%Y-%m-%d} {last['measure_type']} ({last['direction'][:5]}.)"
        rows.append(
            {
                "Jurisdiction": names.get(r.jurisdiction, r.jurisdiction),
                "Stance": r.stance,
                "In force: restr.": r.restrictive_in_force,
                "In force: facil.": r.facilitating_in_force,
                "Ended": r.ended,
                "Announced, not yet in force": r.announced_not_in_force,
                "Latest measure": latest,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- flows


def complete_years_until(as_of) -> int:
    """The last calendar year that had ended by ``as_of`` (yearly counts of a later year were not
    known on that day)."""
    day = _ts(as_of)
    return day.year if (day.month, day.day) == (12, 31) else day.year - 1


def host_flows(
    applications: pd.DataFrame, eurostat: pd.DataFrame, host: str, as_of, first_year: int = 2018
) -> pd.DataFrame:
    """Per year: new asylum applications by Russian citizens in ``host`` counted in persons and,
    separately, in cases (never added), and Eurostat first residence permits to Russians."""
    last = complete_years_until(as_of)
    years = pd.Index(range(first_year, last + 1), name="year")
    a = applications[
        (applications["origin_iso3"] == "RUS")
        & (applications["asylum_iso3"] == host)
        & (applications["app_type"] == "N")
    ]
    wide = a.pivot_table(index="year", columns="app_pc", values="applied", aggfunc="sum")
    wide = wide.reindex(columns=["P", "C"]).reindex(years)
    p = eurostat[(eurostat["dataset"] == "migr_resfirst") & (eurostat["geo_iso3"] == host)]
    permits = p.set_index("year")["value"].reindex(years)
    out = pd.DataFrame(
        {
            "host": host,
            "asylum_new_persons": wide["P"].astype("Int64"),
            "asylum_new_cases": wide["C"].astype("Int64"),
            "first_permits": permits.astype("Int64"),
        },
        index=years,
    ).reset_index()
    return out[["host", "year", "asylum_new_persons", "asylum_new_cases", "first_permits"]]


def flow_hosts(jurisdictions, applications: pd.DataFrame, n: int = 4) -> list[str]:
    """The host states drawn in "what followed": the first ``n`` of :data:`FLOW_HOSTS` that are
    selected and have UNHCR applications by Russians."""
    have = set(applications.loc[applications["origin_iso3"] == "RUS", "asylum_iso3"].astype(str))
    return [h for h in FLOW_HOSTS if h in jurisdictions and h in have][:n]


def host_measures(selected: pd.DataFrame, host: str, as_of) -> pd.DataFrame:
    """Measures that applied in ``host`` and had taken effect by ``as_of``: its own and, for an
    EU member, the EU-level ones (flagged ``level`` = 'EU')."""
    day = _ts(as_of)
    codes = [host, EU] if host in EU_MEMBERS else [host]
    df = selected[
        selected["jurisdiction"].isin(codes)
        & selected["start"].notna()
        & (selected["start"] <= day)
    ].copy()
    df["level"] = np.where(df["jurisdiction"] == EU, "EU", "national")
    return df.sort_values("start").reset_index(drop=True)


# ---------------------------------------------------------------- the map


def map_fill(stance: pd.DataFrame, jurisdictions) -> dict[str, str]:
    """ISO3 -> stance for every selected country (the EU row is not a country)."""
    s = stance.set_index("jurisdiction")["stance"].to_dict()
    return {j: s.get(j, "none in force") for j in jurisdictions if j != EU}


# ---------------------------------------------------------------- prose helpers


def cite_rows(policies: pd.DataFrame, *ids: str, also=()) -> str:
    """The citation of the given policy rows (their ``citation_key`` cells), with the keys in
    ``also`` (sources cited beside the rows) at the end."""
    rows = policies.set_index("policy_id").reindex(list(ids))
    missing = [i for i, k in zip(ids, rows["citation_key"], strict=True) if pd.isna(k)]
    if missing:
        raise KeyError(f"policy rows not in the database: {missing}")
    return cite([*rows["citation_key"], *also])


def names_of(policies: pd.DataFrame, countries: pd.DataFrame) -> dict[str, str]:
    """ISO3 -> short English name (Natural Earth), with the database's names for the rest."""
    names = dict(
        zip(
            policies["jurisdiction"].astype(str),
            policies["jurisdiction_name"].astype(str),
            strict=True,
        )
    )
    names.update(zip(countries["iso3"].astype(str), countries["name"].astype(str), strict=True))
    names.update({EU: "EU level", "USA": "United States", "BIH": "Bosnia and Herzegovina"})
    return names
