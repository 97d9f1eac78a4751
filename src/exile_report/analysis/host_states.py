"""Chapter 3, host-state responses: parameters and computations (its figures are drawn by
:mod:`exile_report.figures.host_states`).

The policy database (``data/curated/policies.csv``) records each measure a state (or the EU) took
towards Russian citizens, with the dates it was announced, came into force and ended. Everything
the chapter shows derives from one rule, :func:`status_as_of`, which says what a measure was on a
given day; the map, the timeline, the counts and the tables all call it, so they cannot disagree.

Two kinds of row: a *measure* applies over a period (from the day it takes effect until it ends);
an *event* is a one-off act at a point in time (a deportation, a refusal at a border, a court
case, an abduction). An event is never "in force": it is drawn as a point and counted apart, so a
single incident cannot colour a state's stance. Rows whose ``stance_exclusion`` says why they are
not measures towards people leaving Russia (sanctions on elites, a pre-war investor route closed
to everyone) are left out of the selection and listed in the text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..coverage import edition_cutoff
from ..params import Param
from ..prose import cite
from ..prose import date as print_date
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


STATUSES = ("in force", "announced", "ended", "future", "undated", "event")
DIRECTIONS = ("restrictive", "facilitating", "mixed")


def kinds(policies: pd.DataFrame) -> pd.Series:
    """'measure' or 'event' per row (a table without the column holds measures only)."""
    if "kind" not in policies:
        return pd.Series("measure", index=policies.index, dtype=object)
    return policies["kind"].fillna("measure").astype(str)


def is_event(policies: pd.DataFrame) -> pd.Series:
    return kinds(policies) == "event"


def excluded(policies: pd.DataFrame) -> pd.Series:
    """True for rows left out of the stance analysis (their ``stance_exclusion`` says why)."""
    if "stance_exclusion" not in policies:
        return pd.Series(False, index=policies.index)
    return policies["stance_exclusion"].fillna("").astype(str).str.strip() != ""


def effective_start(policies: pd.DataFrame) -> pd.Series:
    """The day a measure began to apply (an event's day): its date in force, or, when the sources
    give none, the day it was announced (statements and practices take effect when they are made
    public)."""
    return policies["date_in_force"].fillna(policies["date_announced"])


def _precision(policies: pd.DataFrame, column: str) -> pd.Series:
    col = f"{column}_precision"
    if col not in policies:
        return pd.Series("day", index=policies.index, dtype=object)
    return policies[col].fillna("").astype(str).replace("", "day")


def start_precision(policies: pd.DataFrame) -> pd.Series:
    """How exact :func:`effective_start` is: the precision of the date it was taken from."""
    return _precision(policies, "date_in_force").where(
        policies["date_in_force"].notna(), _precision(policies, "date_announced")
    )


def date_text(value, precision="day") -> str:
    """A date as the book prints it, no more exact than the source ('March 2022', not '1 March
    2022'); '–' for a missing date."""
    if value is None or pd.isna(value):
        return "–"
    return print_date(value, precision or "day")


def start_text(policies: pd.DataFrame) -> pd.Series:
    """Each row's effective start as printed, at its precision."""
    start, prec = effective_start(policies), start_precision(policies)
    return pd.Series(
        [date_text(v, p) for v, p in zip(start, prec, strict=True)], index=policies.index
    )


def status_as_of(policies: pd.DataFrame, as_of) -> pd.Series:
    """What each row was on ``as_of``: one of :data:`STATUSES`.

    - ``in force``: a measure that began on or before the day and had not ended (``date_ended``
      is the last day it applied, so a measure is still in force on its end date);
    - ``announced``: announced on or before the day, in force only later;
    - ``ended``: its end date lies before the day;
    - ``future``: neither announced nor in force yet (an event: not yet happened);
    - ``undated``: the sources give no start date and no past end date;
    - ``event``: a one-off event that had happened by the day (never in force).
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
    event = is_event(policies)
    out[event & dated & (start <= day)] = "event"
    out[event & dated & (start > day)] = "future"
    return out


def _stance(n_restrictive: int, n_facilitating: int, n_mixed: int = 0) -> str:
    if n_mixed or (n_restrictive and n_facilitating):
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
    in force). Events are never in force: they are counted apart (``events_to_date``, the
    one-off events up to the day, and ``event_ids``) and do not move the stance; rows with a
    ``stance_exclusion`` are left out. With ``apply_eu`` the EU-level measures in force also
    count for every member state listed (the EU row itself is kept).
    """
    df = policies[~excluded(policies)]
    df = df.assign(status=status_as_of(df, as_of))
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
        events = own[own["status"] == "event"]
        n_r = int((live["direction"] == "restrictive").sum())
        n_f = int((live["direction"] == "facilitating").sum())
        n_m = int((live["direction"] == "mixed").sum())
        rows.append(
            {
                "jurisdiction": code,
                "restrictive_in_force": n_r,
                "facilitating_in_force": n_f,
                "mixed_in_force": n_m,
                "announced_not_in_force": int((own["status"] == "announced").sum()),
                "ended": int((own["status"] == "ended").sum()),
                "undated": int((own["status"] == "undated").sum()),
                "events_to_date": len(events),
                "in_force_ids": ";".join(live["policy_id"].astype(str)),
                "event_ids": ";".join(events["policy_id"].astype(str)),
                "stance": _stance(n_r, n_f, n_m),
            }
        )
    return pd.DataFrame(rows)


def first_restrictive(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """Each jurisdiction's first restrictive *measure* that had taken effect by ``as_of`` (events
    are individual acts, not a state's rule, and do not count), in order of date."""
    day = _ts(as_of)
    start = effective_start(selected)
    df = selected[
        ~is_event(selected)
        & (selected["direction"] == "restrictive")
        & start.notna()
        & (start <= day)
    ].assign(start=start)
    return df.sort_values(["start", "policy_id"]).groupby("jurisdiction").head(1)


# ---------------------------------------------------------------- selection and database checks


def select(policies: pd.DataFrame, jurisdictions, measure_types) -> pd.DataFrame:
    """The rows of the chosen jurisdictions and types, in the order of ``jurisdictions``, without
    the rows left out of the stance analysis (:func:`excluded`)."""
    order = {j: i for i, j in enumerate(jurisdictions)}
    df = policies[
        policies["jurisdiction"].isin(list(jurisdictions))
        & policies["measure_type"].isin(list(measure_types))
        & ~excluded(policies)
    ].copy()
    df["_order"] = df["jurisdiction"].map(order)
    df["start"] = effective_start(df)
    return (
        df.sort_values(["_order", "start", "policy_id"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def date_problems(policies: pd.DataFrame) -> list[str]:
    """Rows whose dates are out of order (announced after in force, or ending before starting),
    and events with an end date (an event is a point in time)."""
    out = [
        f"{r.policy_id}: an event has no end date"
        for r in policies[is_event(policies) & policies["date_ended"].notna()].itertuples()
    ]
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


def label_text(row) -> str:
    """The label beside a bar or an event mark: the row's short name, with the year it began
    when that lies before the window (the bar is cut at the window's edge)."""
    name = str(getattr(row, "short_name", "") or "") or str(row.measure_type)
    return f"{name} (from {row.start.year})" if row.clipped else name


def timeline_data(selected: pd.DataFrame, as_of, *, days_per_char: float = 0.0) -> pd.DataFrame:
    """One row per measure known on ``as_of`` (announced, in force or ended by then) and per
    event that had happened by then, with the interval drawn (clipped to the window; an event is
    a point: ``draw_end`` = ``draw_start``), its label, the lane and the sub-row inside the lane.

    ``days_per_char`` is how much of the time axis one character of a label takes: the sub-rows
    are packed so that no label runs into the next bar.
    """
    day = _ts(as_of)
    lo, _ = timeline_window(as_of)
    df = selected.assign(status=status_as_of(selected, day))
    keep = ["in force", "announced", "ended", "event"]
    df = df[df["status"].isin(keep) & df["start"].notna()].copy()
    if df.empty:
        return df.assign(draw_start=pd.NaT, draw_end=pd.NaT, lane=0, track=0, label="")
    df["draw_start"] = df["start"].clip(lower=lo)
    end = df["date_ended"].where(df["date_ended"].notna() & (df["date_ended"] <= day), day)
    # a measure drawn needs some width to be seen: at least ten days
    df["draw_end"] = np.maximum(end, df["draw_start"] + pd.Timedelta(days=10))
    pend = df["status"] == "announced"
    df.loc[pend, "draw_start"] = df.loc[pend, "date_announced"].clip(lower=lo)
    point = df["status"] == "event"
    df.loc[point, "draw_end"] = df.loc[point, "draw_start"]
    df["clipped"] = df["start"] < lo
    df["label"] = [label_text(r) for r in df.itertuples()]
    lanes = list(dict.fromkeys(df["jurisdiction"]))
    df["lane"] = df["jurisdiction"].map({j: i for i, j in enumerate(lanes)})
    df["track"] = 0
    label_end = df["draw_start"] + pd.to_timedelta(
        (df["label"].str.len() + 2) * days_per_char, unit="D"
    )
    reach = np.maximum(df["draw_end"], label_end)
    for idx in df.groupby("lane").groups.values():
        part = df.loc[idx].sort_values(["draw_start", "policy_id"])
        df.loc[part.index, "track"] = pack_tracks(
            part["draw_start"], reach[part.index] + pd.Timedelta(days=20)
        )
    return df.reset_index(drop=True)


# ---------------------------------------------------------------- counts over time


def half_year(ts: pd.Timestamp) -> str:
    """'2022 H2'."""
    return f"{ts.year} H{1 if ts.month <= 6 else 2}"


def counts_by_period(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """Measures taking effect per half-year (by effective start, up to ``as_of``), per family of
    measure type and direction: columns period, family, direction, measures. Events are not
    measures and are left out (:func:`events_by_period` counts them)."""
    day = _ts(as_of)
    df = selected[
        ~is_event(selected) & selected["start"].notna() & (selected["start"] <= day)
    ].copy()
    cols = ["period", "family", "direction", "measures"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["period"] = df["start"].map(half_year)
    df["family"] = df["measure_type"].map(FAMILY_OF)
    out = df.groupby(["period", "family", "direction"]).size().rename("measures").reset_index()
    return out.sort_values(["period", "direction", "family"]).reset_index(drop=True)[cols]


def events_to_date(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """The one-off events that had happened by ``as_of``, in order of date."""
    day = _ts(as_of)
    start = effective_start(selected)
    return (
        selected[is_event(selected) & start.notna() & (start <= day)]
        .assign(start=start)
        .sort_values(["start", "policy_id"])
    )


def type_direction_table(selected: pd.DataFrame, as_of) -> pd.DataFrame:
    """Measures (not events) that had taken effect by ``as_of`` per measure type and direction."""
    day = _ts(as_of)
    df = selected[~is_event(selected) & selected["start"].notna() & (selected["start"] <= day)]
    cols = ["Measure type", "Restrictive", "Facilitating", "Mixed", "All"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    t = df.pivot_table(
        index="measure_type", columns="direction", values="policy_id", aggfunc="count", fill_value=0
    )
    t = t.reindex(columns=list(DIRECTIONS), fill_value=0).astype(int)
    t["All"] = t.sum(axis=1)
    t = t.reindex([m for m in MEASURE_TYPES if m in t.index])
    t = t.sort_values("All", ascending=False, kind="stable").reset_index()
    t.columns = cols
    return t


def stance_table(stance: pd.DataFrame, selected: pd.DataFrame, names: dict, as_of) -> pd.DataFrame:
    """The table under the map: stance, measures in force, ended and pending, events to date,
    and the latest measure known by then (its date printed no more exactly than the source)."""
    day = _ts(as_of)
    known = selected[~is_event(selected) & selected["start"].notna() & (selected["start"] <= day)]
    rows = []
    for r in stance.itertuples():
        mine = known[known["jurisdiction"] == r.jurisdiction].sort_values(["start", "policy_id"])
        latest = "–"
        if len(mine):
            last = mine.iloc[[-1]]
            name = (
                last["short_name"].iloc[0] if "short_name" in last else last["measure_type"].iloc[0]
            )
            latest = f"{name} ({start_text(last).iloc[0]})"
        rows.append(
            {
                "Jurisdiction": names.get(r.jurisdiction, r.jurisdiction),
                "Stance": r.stance,
                "Restrictive": r.restrictive_in_force,
                "Facilitating": r.facilitating_in_force,
                "Mixed": r.mixed_in_force,
                "Ended": r.ended,
                "Pending": r.announced_not_in_force,
                "Events": r.events_to_date,
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


def unit_switches(applications: pd.DataFrame, host: str) -> pd.DataFrame:
    """Where ``host`` changed the unit in which it reported new asylum applications by Russian
    citizens to UNHCR: per decision level (``dec_level``), the last year counted in cases and the
    first later year counted in persons, where the level was counted in cases for an unbroken run
    of years and in persons only after it. Columns host, level, last_cases_year,
    first_persons_year (empty when the unit never changed)."""
    a = applications[
        (applications["origin_iso3"] == "RUS")
        & (applications["asylum_iso3"] == host)
        & (applications["app_type"] == "N")
    ]
    rows = []
    for level, part in a.groupby("dec_level", sort=True):
        cases = sorted(set(part.loc[part["app_pc"] == "C", "year"].astype(int)))
        persons = set(part.loc[part["app_pc"] == "P", "year"].astype(int))
        if not cases:
            continue
        last_c = cases[-1]
        later = sorted(y for y in persons if y > last_c)
        # a change of unit: an unbroken run of years in cases, then persons only (a level that
        # alternates between the two units has no single switch)
        run = cases == list(range(cases[0], last_c + 1)) and not (persons & set(cases))
        earlier_persons = any(y < cases[0] for y in persons)
        if later and run and not earlier_persons:
            rows.append(
                {
                    "host": host,
                    "level": str(level),
                    "last_cases_year": last_c,
                    "first_persons_year": later[0],
                }
            )
    cols = ["host", "level", "last_cases_year", "first_persons_year"]
    return pd.DataFrame(rows, columns=cols)


def flow_hosts(jurisdictions, applications: pd.DataFrame, n: int = 4) -> list[str]:
    """The host states drawn in "what followed": the first ``n`` of :data:`FLOW_HOSTS` that are
    selected and have UNHCR applications by Russians."""
    have = set(applications.loc[applications["origin_iso3"] == "RUS", "asylum_iso3"].astype(str))
    return [h for h in FLOW_HOSTS if h in jurisdictions and h in have][:n]


def host_measures(selected: pd.DataFrame, host: str, as_of) -> pd.DataFrame:
    """Measures and events that applied in ``host`` and had taken effect (happened) by
    ``as_of``: its own and, for an EU member, the EU-level ones (flagged ``level`` = 'EU')."""
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


def in_force(
    policies: pd.DataFrame, as_of, *, ids=(), jurisdiction: str | None = None
) -> pd.DataFrame:
    """The rows (chosen by id, or all of one jurisdiction) that were in force on ``as_of``, in
    order of their start: what the prose may describe in the present of that day."""
    rows = policies
    if ids:
        rows = rows[rows["policy_id"].isin(list(ids))]
    if jurisdiction is not None:
        rows = rows[rows["jurisdiction"] == jurisdiction]
    live = rows[status_as_of(rows, as_of) == "in force"]
    return (
        live.assign(_start=effective_start(live))
        .sort_values(["_start", "policy_id"], na_position="last")
        .drop(columns="_start")
    )


def map_events(stance: pd.DataFrame) -> list[str]:
    """The selected countries with one-off events recorded up to the map's date (marked on the
    map apart from the stance colour)."""
    has = stance[(stance["events_to_date"] > 0) & (stance["jurisdiction"] != EU)]
    return list(has["jurisdiction"])


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


# ---------------------------------------------------------------- alt texts (computed)


def _names(codes, names: dict) -> str:
    from ..prose import listing

    return listing([names.get(c, c) for c in codes]) or "none"


def timeline_alt(tl: pd.DataFrame, names: dict, as_of) -> str:
    """The timeline's alt text, from what it draws."""
    lanes = tl.drop_duplicates("lane")["jurisdiction"]
    live = tl[tl["status"] == "in force"]
    by_dir = live.groupby("jurisdiction")["direction"].agg(set)
    only_r = [j for j in lanes if by_dir.get(j) == {"restrictive"}]
    with_f = [j for j in lanes if by_dir.get(j) and by_dir.get(j) != {"restrictive"}]
    n_events = int((tl["status"] == "event").sum())
    ended = int((tl["status"] == "ended").sum())
    return (
        f"Timeline with one lane for each of {len(lanes)} jurisdictions, from "
        f"{timeline_window(as_of)[0].year} to {date_text(as_of)}. Each measure is a labelled bar "
        "from the day it took effect, red for restrictive, blue for facilitating and purple for "
        f"mixed, lighter once ended ({ended} ended); {n_events} one-off events are diamonds. "
        f"On the last day only restrictive measures were in force in {_names(only_r, names)}; "
        f"facilitating or mixed ones in {_names(with_f, names)}."
    )


def map_alt(stance: pd.DataFrame, names: dict, as_of) -> str:
    """The map's alt text: which country has which stance on the day, and where events are."""
    rows = stance[stance["jurisdiction"] != EU]
    parts = []
    for st, word in (
        ("restrictive", "only restrictive measures in force (red)"),
        ("mixed", "both kinds (purple)"),
        ("facilitating", "only facilitating ones (blue)"),
        ("none in force", "none recorded (white)"),
    ):
        codes = list(rows.loc[rows["stance"] == st, "jurisdiction"])
        if codes:
            parts.append(f"{word}: {_names(codes, names)}")
    eu = stance.loc[stance["jurisdiction"] == EU, "stance"]
    eu_text = (
        f" EU members are hatched: EU-level measures in force were {eu.iloc[0]}."
        if len(eu) and eu.iloc[0] != "none in force"
        else ""
    )
    ev = map_events(stance)
    ev_text = f" Diamonds mark one-off events in {_names(ev, names)}." if ev else ""
    listed = "; ".join(parts)
    return (
        f"Map of Europe, the Caucasus and Central Asia with a world inset, on "
        f"{date_text(as_of)}. {listed[:1].upper()}{listed[1:]}." + eu_text + ev_text
    )


def counts_alt(counts: pd.DataFrame) -> str:
    """The counts chart's alt text: the busiest half-years each way."""
    per = counts.groupby(["period", "direction"])["measures"].sum().unstack(fill_value=0)
    per = per.reindex(columns=list(DIRECTIONS), fill_value=0)
    peak = per["restrictive"].idxmax()
    fac = per["facilitating"]
    fac_text = (
        f"; the most facilitating ones, {int(fac.max())}, in {fac.idxmax()}" if fac.max() else ""
    )
    return (
        "Diverging bar chart by half-year: measures taking effect, restrictive above the line "
        "(mixed ones hatched on top), facilitating below, stacked by family of measure. "
        f"In all {int(per['restrictive'].sum())} restrictive, {int(per['mixed'].sum())} mixed "
        f"and {int(fac.sum())} facilitating measures; the most restrictive ones, "
        f"{int(per.loc[peak, 'restrictive'])}, took effect in {peak}{fac_text}."
    )


def flows_alt(flows: dict, switches: dict, names: dict) -> str:
    """The flows chart's alt text: each panel's peak year of new applications (persons), and
    where the reporting unit changed."""
    parts = []
    for host, f in flows.items():
        p = f.set_index("year")["asylum_new_persons"].dropna()
        if len(p):
            parts.append(f"{names.get(host, host)} peaks in {int(p.idxmax())}")
    sw = [
        f"{names.get(h, h)} counted part of its applications in cases until "
        f"{int(s['last_cases_year'].max())} and in persons from {int(s['first_persons_year'].min())}"
        for h, s in switches.items()
        if len(s)
    ]
    return (
        f"{len(flows)} small charts, one per host state, with yearly bars of new asylum "
        "applications by Russians in persons (hatched hollow bars: those counted in cases) and, "
        "where Eurostat covers the state, a line of first residence permits; vertical lines mark "
        "the state's measures. "
        + "; ".join(parts)
        + "."
        + (" A dotted line marks a change of unit: " + "; ".join(sw) + "." if sw else "")
    )
