"""Chapter 1, the history of exile: parameters and computations (its figures are drawn by
:mod:`exile_report.analysis.history_figures`).

Everything the chapter says in numbers is computed here from the curated timeline and wave
estimates, the two Ministry of Justice registers and UNHCR's end-year stocks, so the notebook only
loads tables, calls these functions, quotes the values in its Markdown and draws. Functions take data frames (not file names) so the
tests can feed them small hand-made tables with known answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..params import Param
from ..prose import INVASION, cite, date, num
from ..schemas import CATEGORIES

PARAMETERS = [
    Param(
        "start_year",
        "int",
        "First year shown on the timeline and the long series.",
        minimum=1700,
        maximum=2030,
        default=1822,
    ),
    Param("end_year", "int", "Last year shown.", minimum=1700, maximum=2030, default=2026),
    Param(
        "categories",
        "list[str]",
        "Timeline event categories to show.",
        choices=CATEGORIES,
        default=list(CATEGORIES),
    ),
]


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: the year range must run forwards."""
    if values["start_year"] > values["end_year"]:
        return [f"start_year ({values['start_year']}) is after end_year ({values['end_year']})"]
    return []


#: The waves of exile in chronological order, with the names the chapter uses for them.
WAVES = {
    "tsarist": "Tsarist exile",
    "revolution-white": "Revolution and White emigration",
    "soviet-deportations-dissidents": "Soviet deportations and dissidents",
    "late-soviet-1990s": "Late-Soviet and 1990s emigration",
    "putin-2011-2021": "Putin era, 2000–2021",
    "invasion-2022": "Invasion, 2022",
    "mobilisation-2022": "Mobilisation, Sept 2022",
    "wartime-2023-2025": "Wartime, 2023–2025",
}

CATEGORY_LABELS = {
    "law": "Law",
    "repression": "Repression",
    "expulsion": "Expulsion",
    "emigration-wave": "Emigration wave",
    "exile-institution": "Exile institution",
    "designation": "Designation",
    "war": "War",
}

AGENT_TYPES = {
    "individual": "Individuals",
    "legal-entity": "Legal entities",
    "unregistered-public-association": "Unregistered associations",
    "other-association": "Other associations",
    "foreign-structure": "Foreign structures",
    "unknown": "Type not stated",
}

#: The first year the foreign-agents law existed; register charts never start earlier.
REGISTER_FIRST_YEAR = 2012


def year_fraction(ts: pd.Timestamp) -> float:
    """A date as a fractional year (1 July 2022 -> about 2022.5), for axes that hold years."""
    ts = pd.Timestamp(ts)
    days = 366 if ts.is_leap_year else 365
    return ts.year + (ts.day_of_year - 1) / days


# ------------------------------------------------------------------------------------ timeline


def select_events(
    timeline: pd.DataFrame, start_year: int, end_year: int, categories
) -> pd.DataFrame:
    """Timeline events of the chosen categories that fall in [start_year, end_year].

    An event with an ``end_date`` is kept when its span overlaps the years. Sorted by date, with a
    ``wave_label`` column in the chapter's words.
    """
    tl = timeline.copy()
    first = tl["date"].dt.year
    last = tl["end_date"].fillna(tl["date"]).dt.year if "end_date" in tl else first
    keep = (last >= start_year) & (first <= end_year) & tl["category"].isin(list(categories))
    out = tl[keep].sort_values(["date", "event_id"]).reset_index(drop=True)
    out["wave_label"] = out["wave"].map(WAVES).astype("string")
    return out


def wave_spans(events: pd.DataFrame) -> pd.DataFrame:
    """Per wave, the span its events cover: first date, last date (or end date), event count.

    The bands drawn on the timeline are these spans, so a wave's band is exactly as wide as the
    dated events that document it.
    """
    if events.empty:
        return pd.DataFrame(columns=["wave", "wave_label", "start", "end", "events"])
    ends = events["end_date"].fillna(events["date"]) if "end_date" in events else events["date"]
    df = events.assign(_end=ends)
    spans = (
        df.groupby("wave", sort=False)
        .agg(start=("date", "min"), end=("_end", "max"), events=("event_id", "count"))
        .reset_index()
    )
    spans["order"] = spans["wave"].map({w: i for i, w in enumerate(WAVES)})
    spans = spans.sort_values("order").drop(columns="order").reset_index(drop=True)
    spans.insert(1, "wave_label", spans["wave"].map(WAVES))
    return spans


def events_per_wave(events: pd.DataFrame) -> pd.DataFrame:
    """Number of events per wave and category (the figure's data, in a countable form)."""
    if events.empty:
        return pd.DataFrame(columns=["wave", "category", "events"])
    return events.groupby(["wave", "category"], sort=False).size().rename("events").reset_index()


def citations(df: pd.DataFrame, column: str = "citation_key") -> str:
    """All citation keys of a table as one pandoc citation ``[@a; @b]`` (unique, in order)."""
    return cite(df[column].dropna().tolist())


# ------------------------------------------------------------------------------ wave estimates


def select_wave_estimates(we: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """Estimates whose period overlaps [start_year, end_year], in wave order.

    An estimate with no period dates is kept (its wave is what places it); ``low``/``high`` fall
    back to ``central`` so every kept row can be drawn as a range or a point.
    """
    df = we.copy()
    first = df["period_start"].dt.year
    last = df["period_end"].dt.year
    keep = ~((last.notna() & (last < start_year)) | (first.notna() & (first > end_year)))
    df = df[keep].copy()
    df["order"] = df["wave"].map({w: i for i, w in enumerate(WAVES)})
    df = df.sort_values(["order", "period_start", "estimator"], na_position="last")
    df = df.drop(columns="order").reset_index(drop=True)
    df["wave_label"] = df["wave"].map(WAVES).astype("string")
    for col in ("low", "central", "high"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["low_shown"] = df["low"].fillna(df["central"]).fillna(df["high"])
    df["high_shown"] = df["high"].fillna(df["central"]).fillna(df["low"])
    df["bound"] = bound_kind(df)
    return df


def bound_kind(est: pd.DataFrame) -> pd.Series:
    """What a published figure is: ``range`` (low and high), ``upper`` (only an upper bound, "up
    to"), ``lower`` (only a lower bound, "more than") or ``point`` (a single figure).

    A row's columns say it: an upper bound as published is entered in ``high`` alone, a lower
    bound in ``low`` alone, a single figure in ``central``."""
    low, central, high = (est[c].notna() for c in ("low", "central", "high"))
    kind = pd.Series("point", index=est.index, dtype="string")
    kind[low & high] = "range"
    kind[high & ~low & ~central] = "upper"
    kind[low & ~high & ~central] = "lower"
    return kind


def figure_text(row) -> str:
    """A published figure as the table prints it: '5,000–9,000', 'up to 6,000', 'more than
    20,000' or '10,000' (see :func:`bound_kind`)."""
    kind = row["bound"]
    if kind == "range":
        return f"{num(row['low'])}–{num(row['high'])}"
    if kind == "upper":
        return f"up to {num(row['high'])}"
    if kind == "lower":
        return f"more than {num(row['low'])}"
    return num(row["low_shown"])


def period_text(row) -> str:
    """The years an estimate covers: '1831–1870', '1999', 'from 1917'."""
    start, end = row["period_start"], row["period_end"]
    if pd.isna(start):
        return f"to {end.year}" if pd.notna(end) else ""
    if pd.isna(end):
        return f"from {start.year}"
    return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"


#: Waves whose every estimate covers months, not years: a short period is their nature.
SHORT_WAVES = ("invasion-2022", "mobilisation-2022")


def size_estimates(est: pd.DataFrame) -> pd.DataFrame:
    """The estimates of a wave's *total* size: counted in persons, over more than one year.

    Counts for a single year or a few months before 2022 (a peak year, one evacuation, one
    deportation) measure a moment of a wave, not the wave; they stay in the table's CSV but are
    not set against totals. The 2022 waves are exempt: all their estimates cover months.
    """
    span = (est["period_end"] - est["period_start"]).dt.days
    whole = est["period_end"].isna() | (span > 366) | est["wave"].isin(SHORT_WAVES)
    return est[(est["unit"] == "persons") & whole].reset_index(drop=True)


def dossier_group(est: pd.DataFrame, group: str) -> pd.DataFrame:
    """Estimates of one wave that the text compares with each other (W1…W8, column
    `compare_group`)."""
    return est[est["compare_group"].fillna("") == group]


def spread(est: pd.DataFrame) -> dict | None:
    """Lowest and highest published figure of a set of estimates, their ratio and sources."""
    if est.empty:
        return None
    lo, hi = float(est["low_shown"].min()), float(est["high_shown"].max())
    return {
        "low": lo,
        "high": hi,
        "ratio": hi / lo if lo else float("nan"),
        "n": len(est),
        "cite": citations(est),
    }


def wave_estimates_table(est: pd.DataFrame) -> pd.DataFrame:
    """The estimates as a page table: wave (named once per group), what is counted, the years
    it covers, the figure as a range or a bound ('up to', 'more than'), source. Numbers for
    charts (low, central, high) and the grades are in the figure's CSV."""
    waves = est["wave_label"].astype(str)
    return pd.DataFrame(
        {
            "Wave": waves.where(waves != waves.shift(), "").to_numpy(),
            "What is counted": est["concept"].to_numpy(),
            "Years": [period_text(r) for _, r in est.iterrows()],
            "Figure": [figure_text(r) for _, r in est.iterrows()],
            "Source": [cite(v) for v in est["citation_key"]],
        }
    )


# ----------------------------------------------------------------- registers (the machinery)


def register_years(start_year: int, end_year: int, last: pd.Timestamp) -> list[int]:
    """The years the register charts cover: the chosen range, clipped to 2012 and the snapshot."""
    lo = max(start_year, REGISTER_FIRST_YEAR)
    hi = min(end_year, last.year)
    return list(range(lo, hi + 1))


def partial_years(per_year: pd.DataFrame) -> dict[int, pd.Timestamp]:
    """The years a per-year register table marks as partial (``partial_year``), each with the
    last day it covers (``period_end``): the snapshot's own year, read from the table itself."""
    rows = per_year[per_year["partial_year"].astype(bool)]
    return {int(r.year): pd.Timestamp(r.period_end) for r in rows.itertuples()}


def _per_year_frame(per_year: pd.DataFrame, years: list[int], columns: dict) -> pd.DataFrame:
    """One row per year in ``years`` (zeros where the table has none) with ``columns`` renamed,
    and each year's ``partial`` flag and ``period_end`` (a full year ends on 31 December)."""
    df = per_year.set_index(per_year["year"].astype("int64"))
    out = pd.DataFrame({"year": years})
    for new, old in columns.items():
        out[new] = df[old].reindex(years, fill_value=0).astype("int64").to_numpy()
    part = partial_years(per_year)
    out["partial"] = [y in part for y in years]
    out["period_end"] = [part.get(y, pd.Timestamp(year=y, month=12, day=31)) for y in years]
    return out


def register_per_year(per_year: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Foreign-agents register, from ``foreign_agents_per_year``: per year in ``years`` the
    designations of individuals and of organisations (all other entries), their sum, the
    removals, and whether the year is partial (the snapshot's year) with its last day."""
    out = _per_year_frame(
        per_year,
        years,
        {
            "individuals": "designations_individuals",
            "designations": "designations",
            "removals": "removals",
        },
    )
    out.insert(2, "organisations", out["designations"] - out["individuals"])
    return out


def undesirable_per_year(per_year: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Inclusions in the list of "undesirable" organisations per year in ``years``, from
    ``undesirable_per_year``, with the partial flag of the snapshot's year."""
    return _per_year_frame(per_year, years, {"designations": "designations"})


def individual_shares(reg: pd.DataFrame, split_year: int) -> dict:
    """Designations up to ``split_year - 1`` and from ``split_year`` on, and the share of
    individuals in each (denominator: all designations of those years)."""
    early, late = reg[reg["year"] < split_year], reg[reg["year"] >= split_year]
    out = {}
    for name, part in (("early", early), ("late", late)):
        total = int(part["designations"].sum())
        out[name] = total
        out[f"{name}_share"] = part["individuals"].sum() / total if total else float("nan")
    return out


def register_summary(fa: pd.DataFrame, cutoff: pd.Timestamp = INVASION) -> dict:
    """Totals of the foreign-agents register: entries, removals, still listed, share after cutoff.

    ``share_after`` is entries designated on or after ``cutoff`` divided by all entries ever
    designated (the denominator is every entry in the export, removed ones included).
    """
    des = fa[fa["event"] == "designation"]
    rem = fa[fa["event"] == "removal"]
    total = int(des["count"].sum())
    after = int(des.loc[des["date"] >= cutoff, "count"].sum())
    removed = int(rem["count"].sum())
    by_year = des.groupby(des["date"].dt.year)["count"].sum()
    return {
        "total": total,
        "after": after,
        "before": total - after,
        "share_after": after / total if total else float("nan"),
        "removed": removed,
        "listed": total - removed,
        "first": des["date"].min(),
        "last": fa["date"].max(),
        "peak_year": int(by_year.idxmax()) if len(by_year) else None,
        "peak_count": int(by_year.max()) if len(by_year) else 0,
    }


def register_by_type(fa: pd.DataFrame, cutoff: pd.Timestamp = INVASION) -> pd.DataFrame:
    """Per agent type: entries designated, how many since the cutoff (and share), removals."""
    des = fa[fa["event"] == "designation"]
    rem = fa[fa["event"] == "removal"]
    total = des.groupby("agent_type")["count"].sum()
    after = des[des["date"] >= cutoff].groupby("agent_type")["count"].sum()
    removed = rem.groupby("agent_type")["count"].sum()
    types = [t for t in AGENT_TYPES if t in total.index]
    out = pd.DataFrame(
        {
            "Type": [AGENT_TYPES[t] for t in types],
            "Entries": total.reindex(types).astype("int64").to_numpy(),
            "Since invasion": after.reindex(types, fill_value=0).astype("int64").to_numpy(),
            "Removed": removed.reindex(types, fill_value=0).astype("int64").to_numpy(),
        }
    )
    out["Share since invasion"] = out["Since invasion"] / out["Entries"]
    out["Still listed"] = out["Entries"] - out["Removed"]
    out = out.sort_values("Entries", ascending=False).reset_index(drop=True)
    totals = {
        "Type": "All types",
        "Entries": int(out["Entries"].sum()),
        "Since invasion": int(out["Since invasion"].sum()),
        "Removed": int(out["Removed"].sum()),
        "Still listed": int(out["Still listed"].sum()),
    }
    totals["Share since invasion"] = totals["Since invasion"] / totals["Entries"]
    out = pd.concat([out, pd.DataFrame([totals])], ignore_index=True)
    return out[
        ["Type", "Entries", "Since invasion", "Share since invasion", "Removed", "Still listed"]
    ]


def undesirable_summary(ud: pd.DataFrame, cutoff: pd.Timestamp = INVASION) -> dict:
    """Totals of the undesirable list: organisations, share since cutoff, most frequent country."""
    total = int(ud["count"].sum())
    after = int(ud.loc[ud["date"] >= cutoff, "count"].sum())
    countries = ud.dropna(subset=["org_country_iso3"]).groupby("org_country_iso3")["count"].sum()
    countries = countries.sort_values(ascending=False, kind="stable")
    return {
        "total": total,
        "after": after,
        "share_after": after / total if total else float("nan"),
        "first": ud["date"].min(),
        "last": ud["date"].max(),
        "top_country": countries.index[0] if len(countries) else None,
        "top_country_count": int(countries.iloc[0]) if len(countries) else 0,
        "country_known": int(countries.sum()),
    }


#: What makes a law of the timeline a step of the registers' machinery: the foreign-agent and
#: undesirable-organisation laws and their extensions, and the wartime speech ("fakes") laws.
MACHINERY_PATTERN = r"foreign.agent|undesirable|fakes|censorship"


def legal_steps(
    timeline: pd.DataFrame, years: list[int], until: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The laws of the timeline that built the registers' machinery, dated within ``years``
    (and not after ``until``, the last date the register data cover), to mark on the charts."""
    if not years:
        return timeline.iloc[0:0]
    text = timeline["title"].fillna("") + " " + timeline["description"].fillna("")
    laws = timeline[
        (timeline["category"] == "law")
        & text.str.contains(MACHINERY_PATTERN, case=False, regex=True)
        & timeline["date"].dt.year.between(years[0], years[-1])
    ]
    if until is not None:
        laws = laws[laws["date"] <= until]
    return laws.sort_values("date").reset_index(drop=True)


# ------------------------------------------------------------------------------------- UNHCR


#: Aggregate rows of UNHCR's by-origin table that are not an origin (``WLD``: all origins).
AGGREGATE_ORIGINS = ("WLD",)


def first_reported_year(pop: pd.DataFrame, column: str = "asylum_seekers") -> int | None:
    """The first year in which UNHCR's by-origin stocks hold a non-zero ``column`` for any
    origin (aggregates left out). Earlier years carry 0 for every origin: the figure was not
    reported by origin then, and those zeros are no count of people."""
    df = pop[~pop["origin_iso3"].isin(AGGREGATE_ORIGINS)]
    years = df.loc[df[column].fillna(0) > 0, "year"]
    return int(years.min()) if len(years) else None


def unhcr_series(
    pop: pd.DataFrame,
    start_year: int,
    end_year: int,
    origin: str = "RUS",
    asylum_seekers_from: int | None = None,
) -> pd.DataFrame:
    """End-year stocks of refugees and asylum-seekers of one origin, for the years the data has.

    ``total`` adds refugees and asylum-seekers: both are people (a stock at 31 December), one
    recognised and one awaiting a decision, so the sum is the people in UNHCR's count. Before
    ``asylum_seekers_from`` (see :func:`first_reported_year`) asylum-seekers were not reported:
    their column is left empty there, and ``total`` counts refugees alone.
    """
    df = pop[(pop["origin_iso3"] == origin) & pop["year"].between(start_year, end_year)]
    out = df[["year", "refugees", "asylum_seekers"]].copy()
    out["year"] = out["year"].astype("int64")
    out["refugees"] = out["refugees"].fillna(0).astype("int64")
    out["asylum_seekers"] = out["asylum_seekers"].fillna(0).astype("Int64")
    if asylum_seekers_from is not None:
        out.loc[out["year"] < asylum_seekers_from, "asylum_seekers"] = pd.NA
    out["total"] = (out["refugees"] + out["asylum_seekers"].fillna(0)).astype("int64")
    return out.sort_values("year").reset_index(drop=True)


#: A reporting break in UNHCR's stocks: one country of asylum's figure for an origin falls to
#: ``1 / BREAK_FACTOR`` of the year before or less, while that country held at least
#: ``BREAK_MIN_SHARE`` of the origin's total that year. Refugees stay in a country's count until
#: they return, move on or naturalise, so such a fall in one year is no movement of people; UNHCR's
#: data carry no note on these falls, and the book reads them as changes in how the country
#: reported, flags them, and compares no years across them. Rises are not flagged: mass flight
#: can multiply a country's figure in a year (Ukrainians in 2022).
BREAK_FACTOR = 5
BREAK_MIN_SHARE = 0.25


def reporting_breaks(
    population: pd.DataFrame,
    origin: str = "RUS",
    column: str = "refugees",
    factor: float = BREAK_FACTOR,
    min_share: float = BREAK_MIN_SHARE,
) -> pd.DataFrame:
    """The reporting breaks of one origin's stocks by country of asylum (rule above).

    ``population`` is UNHCR's table by country of asylum (``unhcr_population``). One row per
    break: ``asylum_iso3``, ``asylum_name``, ``year_before``, ``year`` (the first year after the
    break), ``before``, ``after`` and ``share`` (the country's share of the origin's total in
    the year before). Only consecutive years are compared."""
    cols = ["asylum_iso3", "asylum_name", "year_before", "year", "before", "after", "share"]
    df = population[population["origin_iso3"] == origin]
    if df.empty:
        return pd.DataFrame(columns=cols)
    values = df.assign(v=df[column].fillna(0).astype("int64"))
    total = values.groupby("year")["v"].sum()
    rows = []
    for iso, g in values.groupby("asylum_iso3", sort=True):
        g = g.set_index("year").sort_index()
        for year in g.index:
            if year - 1 not in g.index:
                continue
            a, b = int(g.loc[year - 1, "v"]), int(g.loc[year, "v"])
            if a == 0 or b * factor > a:
                continue
            share = a / total[year - 1]
            if share >= min_share:
                rows.append((iso, str(g.loc[year, "asylum_name"]), year - 1, year, a, b, share))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["year", "asylum_iso3"]).reset_index(drop=True)


def missing_years(series: pd.DataFrame) -> list[int]:
    """Years inside the series' span for which the data has no row (gaps, not zeros)."""
    if series.empty:
        return []
    have = set(series["year"])
    return [
        y for y in range(int(series["year"].min()), int(series["year"].max()) + 1) if y not in have
    ]


def change(series: pd.DataFrame, year_a: int, year_b: int, column: str = "total") -> dict | None:
    """Value in two years and the ratio b / a; None when either year is missing."""
    s = series.set_index("year")[column]
    if year_a not in s.index or year_b not in s.index or s[year_a] == 0:
        return None
    return {"a": int(s[year_a]), "b": int(s[year_b]), "ratio": float(s[year_b] / s[year_a])}


# ------------------------------------------------------------------------- prose helpers


@dataclass(frozen=True)
class Event:
    """One timeline event as the prose quotes it: its date as precise as the source gives it
    ('13 February 1974', 'June 1972', '1831'), its year, title, citation and wave."""

    date: str
    year: int
    title: str
    cite: str
    wave: str


def event(timeline: pd.DataFrame, event_id: str) -> Event:
    """One timeline event for the prose; KeyError naming the id when the timeline lacks it."""
    rows = timeline[timeline["event_id"] == event_id]
    if rows.empty:
        raise KeyError(f"timeline has no event {event_id}")
    r = rows.iloc[0]
    return Event(
        date=date(r["date"], r["date_precision"]),
        year=int(r["date"].year),
        title=str(r["title"]),
        cite=cite(r["citation_key"]),
        wave=str(r["wave"]),
    )


class Events:
    """The timeline's events by id, for the chapter's Markdown: `` `{python} event.T001.cite` ``.

    An id the timeline does not hold raises an error naming it, so a sentence can never quote a
    missing event."""

    def __init__(self, timeline: pd.DataFrame):
        self._timeline = timeline

    def __getattr__(self, event_id: str) -> Event:
        if event_id.startswith("_"):
            raise AttributeError(event_id)
        try:
            return event(self._timeline, event_id)
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None


def top_host(population: pd.DataFrame, year: int, origin: str = "RUS") -> dict:
    """The country of asylum holding most refugees and asylum-seekers of ``origin`` in ``year``,
    with its number and its share of all (the denominator is every country of asylum)."""
    df = population[(population["origin_iso3"] == origin) & (population["year"] == year)]
    total = df["refugees"].fillna(0) + df["asylum_seekers"].fillna(0)
    if total.sum() == 0:
        return {"name": None, "total": 0, "share": float("nan")}
    i = total.astype("int64").idxmax()
    return {
        "name": str(df.loc[i, "asylum_name"]),
        "total": int(total[i]),
        "share": float(total[i] / total.sum()),
    }
