"""Alt texts of the figures of chapters 1, 2 and 4, computed from the data each figure draws.

Each function takes the table the chapter passes to ``save_figure(..., data=...)`` (or the
frames the figure is drawn from) and returns the text given as ``save_figure(..., alt=...)``:
what the chart shows, and its salient values read from that data, never a typed number.
Chapter 3's alt texts are in :mod:`exile_report.analysis.host_states`.
"""

from __future__ import annotations

import pandas as pd

from ..analysis.history import CATEGORY_LABELS, WAVES
from ..analysis.scale import CONCEPT_WORDS, ladder_marks
from ..prose import date, listing, num, pct


def _name(names: dict, code) -> str:
    return str(names.get(code, code))


def _pct(x) -> str:
    """A share as a whole percentage, with a decimal where that would print a non-zero as 0%."""
    return pct(x, 1) if 0 < float(x) < 0.005 else pct(x)


def _years(s: pd.Series) -> str:
    return f"{int(s.min())} to {int(s.max())}"


# ---------------------------------------------------------------- chapter 1


def timeline_alt(ev: pd.DataFrame) -> str:
    """The timeline: how many events, over which years, in which waves, and the commonest kind."""
    years = pd.to_datetime(ev["date"]).dt.year
    drawn = set(ev["wave"].dropna())
    waves = [name for w, name in WAVES.items() if w in drawn]
    waves += sorted(w for w in drawn if w not in WAVES)
    kinds = ev["category"].value_counts()
    top = kinds.index[0]
    return (
        f"Timeline in stacked panels of {num(len(ev))} dated events from {_years(years)}, a new "
        "panel starting with the Soviet collapse and another with the invasion of Ukraine. "
        f"{len(waves)} waves of exile are grey bands ({'; '.join(waves)}); events are markers "
        f"coloured and shaped by category, the commonest being "
        f"{CATEGORY_LABELS.get(top, top).lower()} ({num(kinds.iloc[0])} events)."
    )


def wave_sizes_alt(est: pd.DataFrame) -> str:
    """The wave-size chart: how many estimates of how many waves, the smallest and the largest."""
    value = est[["low", "central", "high"]].max(axis=1)
    lo_i, hi_i = value.idxmin(), value.idxmax()

    def which(i):
        r = est.loc[i]
        return f"{num(value[i])} ({WAVES.get(r['wave'], r['wave'])}: {r['concept']})"

    return (
        f"Dot-and-range chart on a logarithmic axis of persons: {num(len(est))} published "
        f"estimates of {est['wave'].nunique()} waves, one row each, coloured by confidence grade; "
        "a bar runs from a low to a high figure and an arrow head marks a bound. The largest "
        f"figure is {which(hi_i)}, the smallest {which(lo_i)}."
    )


def machinery_alt(data: pd.DataFrame) -> str:
    """The designations chart: each register's busiest year, and the partial last year."""
    fa = data.set_index("year")["designations"]
    ud = data.set_index("year")["undesirable_designations"]
    last = data.iloc[-1]
    partial = (
        f" The last year, {int(last['year'])}, is partial (to {date(last['period_end'])}) and "
        "hatched."
        if bool(last["partial"])
        else ""
    )
    return (
        "Two bar charts sharing one axis of years from "
        f"{_years(data['year'])}, with dashed lines for the dated laws. Top: foreign-agent "
        f"designations per year, most in {int(fa.idxmax())} ({num(fa.max())}). Bottom: "
        f"organisations declared undesirable per year, most in {int(ud.idxmax())} "
        f"({num(ud.max())}).{partial}"
    )


def unhcr_long_alt(series: pd.DataFrame, asylum_seekers_from) -> str:
    """The long UNHCR series: its highest year-end total and its latest year."""
    s = series.set_index("year")
    peak = int(s["total"].idxmax())
    last = int(s.index.max())
    since = (
        f" Asylum-seekers are reported from {int(asylum_seekers_from)}; earlier years are shaded."
        if asylum_seekers_from is not None and not pd.isna(asylum_seekers_from)
        else ""
    )
    return (
        "Stacked bar chart of people of Russian origin at each year's end, "
        f"{_years(series['year'])}: refugees in blue, pending asylum-seekers in orange. The highest "
        f"total is {num(s.loc[peak, 'total'])} in {peak}; in {last} there were "
        f"{num(s.loc[last, 'refugees'])} refugees and {num(s.loc[last, 'asylum_seekers'])} "
        f"asylum-seekers.{since}"
    )


# ---------------------------------------------------------------- chapter 2


def ladder_alt(ladder: pd.DataFrame) -> str:
    """The ladder of worldwide estimates: per concept, how many and their span."""
    parts = []
    for concept, g in ladder_marks(ladder).groupby("concept", sort=False):
        lo, hi = g["lo"].min(), g["hi"].max()
        span = f"at {num(lo)}" if lo == hi else f"from {num(lo)} to {num(hi)}"
        parts.append(f"{CONCEPT_WORDS.get(concept, concept)}: {len(g)} {span}")
    when = pd.to_datetime(ladder["period_end"])
    return (
        "Chart on a logarithmic scale of worldwide estimates by the date they refer to, "
        f"{date(when.min(), 'month')} to {date(when.max(), 'month')}, a marker each and a bar "
        f"where a range was published, coloured by what they count ({'; '.join(parts)})."
    )


def hosts_alt(host_data: pd.DataFrame, names: dict) -> str:
    """The host chart: how many countries and figures, who has the most, and the span per concept."""
    counts = host_data.groupby("geography").size().sort_values(ascending=False, kind="mergesort")
    most = counts[counts == counts.iloc[0]].index
    spans = []
    for concept, g in host_data.groupby("concept", sort=False):
        spans.append(
            f"{CONCEPT_WORDS.get(concept, concept)} from {num(g['value'].min())} to "
            f"{num(g['value'].max())}"
        )
    return (
        f"Dot chart with one row for each of {len(counts)} host countries and a logarithmic "
        f"axis: {num(len(host_data))} published figures, coloured by what they count; the "
        f"figures the estimate uses are ringed. {listing([_name(names, g) for g in most])} "
        f"{'has' if len(most) == 1 else 'have'} the most figures ({counts.iloc[0]}). "
        f"{'; '.join(spans)[:1].upper()}{'; '.join(spans)[1:]}."
    )


def map_alt(values: dict, names: dict) -> str:
    """The map: which countries are shaded, largest first."""
    if not values:
        return "World map in an equal-area projection: no chosen host country has a figure."
    order = sorted(values, key=lambda g: -values[g])
    shaded = [f"{_name(names, g)} ({num(values[g])})" for g in order]
    return (
        "World map in an equal-area projection with an inset of Europe and the Caucasus, host "
        "countries shaded by the number of people who left Russia after February 2022 and are "
        f"still there, from the highest: {listing(shaded)}. Russia is grey."
    )


def permits_alt(permits: pd.DataFrame) -> str:
    """The permits chart: countries, years, and each country's peak year."""
    peak = permits.loc[permits.groupby("geo_name")["value"].idxmax()]
    top = peak.sort_values("value", ascending=False).iloc[0]
    return (
        f"Line chart of first residence permits to Russian citizens per year, "
        f"{_years(permits['year'])}, one line for each of {permits['geo_name'].nunique()} "
        f"countries. The highest yearly count is {num(top['value'])}, in {top['geo_name']} in "
        f"{int(top['year'])}."
    )


def claims_alt(claims: pd.DataFrame) -> str:
    """The asylum-claims chart: the years, the peak in persons, the latest year."""
    p = claims.set_index("year")["persons"].dropna()
    c = claims.set_index("year")["cases"].dropna()
    cases = (
        f" Applications counted in cases are a separate series, at most {num(c.max())} a year."
        if len(c)
        else ""
    )
    return (
        f"Bar chart by year, {_years(claims['year'])}, of new asylum applications by Russian "
        f"citizens counted in persons: highest in {int(p.idxmax())} ({num(p.max())}), "
        f"{num(p.iloc[-1])} in {int(p.index[-1])}.{cases}"
    )


def sensitivity_alt(sens: pd.DataFrame, base) -> str:
    """The sensitivity chart: the central sum and the choice that moves it most."""
    top = sens.loc[sens["swing"].idxmax()]
    return (
        f"Horizontal bar chart centred on the central sum, {num(base)}: each bar spans the sum "
        f"when one choice is set to its low or its high end. The widest, “{top['assumption']}”, "
        f"runs from {num(top['low_total'])} to {num(top['high_total'])}."
    )


# ---------------------------------------------------------------- chapter 4


def applications_alt(ya: pd.DataFrame, origin: str) -> str:
    """New applications per year: the peak in persons and the latest year."""
    p = ya.set_index("year")["new_persons"].dropna()
    text = (
        f"Line chart of new asylum applications by citizens of {origin} per year, "
        f"{_years(ya['year'])}, persons and cases drawn apart; a dashed line marks 2022."
    )
    if len(p):
        text += (
            f" Applications by persons peak in {int(p.idxmax())} ({num(p.max())}); "
            f"{num(p.iloc[-1])} in {int(p.index[-1])}."
        )
    return text


def top_destinations_alt(top: pd.DataFrame) -> str:
    """The heat map: which destination ranks first most often, and in the latest year."""
    first = top[top["rank"] == 1]
    often = first["asylum_name"].value_counts()
    last = first.loc[first["year"].idxmax()]
    return (
        f"Heat map of years ({_years(top['year'])}) across and destinations down, darker for a "
        "larger share of the year's applications by persons; the three largest each year carry "
        f"their rank. {often.index[0]} is first in {often.iloc[0]} of {first['year'].nunique()} "
        f"years; in {int(last['year'])} {last['asylum_name']} is first with "
        f"{_pct(last['share'])}."
    )


def rates_alt(shown: pd.DataFrame) -> str:
    """The rates chart: the lowest and highest protection rates plotted."""
    r = shown.dropna(subset=["protection_rate"])
    text = (
        f"Dot chart of {len(shown)} destinations ordered by number of decisions: a dark dot for "
        "the refugee-status rate, a light one for the protection rate."
    )
    if len(r):
        lo, hi = r.loc[r["protection_rate"].idxmin()], r.loc[r["protection_rate"].idxmax()]
        text += (
            f" Protection rates run from {_pct(lo['protection_rate'])} in {lo['asylum_name']} "
            f"to {_pct(hi['protection_rate'])} in {hi['asylum_name']}."
        )
    return text


def stock_alt(stock: pd.DataFrame, names: dict) -> str:
    """The stock panels: each origin's latest refugees and pending asylum-seekers."""
    parts = []
    for origin, g in stock.groupby("origin_iso3", sort=False):
        last = g.loc[g["year"].idxmax()]
        parts.append(
            f"{_name(names, origin)}, {int(last['year'])}: {num(last['refugees'])} refugees and "
            f"{num(last['asylum_seekers'])} asylum-seekers"
        )
    return (
        "Small multiples, one panel per origin with its own scale, two lines of end-year stock: "
        f"refugees and pending asylum-seekers. Latest values: {'; '.join(parts)}."
    )


def _latest(g: pd.DataFrame, column: str) -> pd.Series | None:
    """The row of the latest year in which ``column`` is given, or None."""
    given = g.dropna(subset=[column])
    return given.loc[given["year"].idxmax()] if len(given) else None


def _rate(column: str):
    """What a group's latest ``column`` (a rate) says: "<column in words> <rate> in <year>"."""

    def says(g: pd.DataFrame) -> str | None:
        lr = _latest(g, column)
        if lr is None:
            return None
        return f"{column.replace('_', ' ')} {_pct(lr[column])} in {int(lr['year'])}"

    return says


def _per_group(data: pd.DataFrame, key: str, names: dict, *sayings) -> str:
    """For each group of ``data`` by ``key``, "<name>: <what each of ``sayings`` says of the
    group>" (those that say something), joined by "; "."""
    parts = []
    for code, g in data.groupby(key, sort=False):
        bits = [bit for say in sayings if (bit := say(g)) is not None]
        if bits:
            parts.append(f"{_name(names, code)}: {', '.join(bits)}")
    return "; ".join(parts)


def _lodged(g: pd.DataFrame) -> str | None:
    la = _latest(g, "persons_lodged")
    return None if la is None else f"{num(la['persons_lodged'])} applications in {int(la['year'])}"


def _uk_applications(g: pd.DataFrame) -> str | None:
    la = _latest(g, "main_applicants")
    if la is None:
        return None
    part = (
        f" (first {int(la['months_covered'])} months)"
        if pd.notna(la.get("months_covered")) and int(la["months_covered"]) < 12
        else ""
    )
    return f"{num(la['main_applicants'])} main applicants in {int(la['year'])}{part}"


#: Charts read out as each group's latest values: the chart in words, the column that names the
#: groups, and what is said of each group.
_LATEST_VALUES = {
    "origins": (
        (
            "Two line charts side by side, one line per origin: applications by persons per year "
            "on a logarithmic scale, and the first-instance protection rate; 2022 is shaded."
        ),
        "origin_iso3",
        (_lodged, _rate("protection_rate")),
    ),
    "uk": (
        (
            "Two line charts of the United Kingdom, one line per nationality: asylum applications "
            "by main applicants per year, a partial year as an open circle, and the initial grant "
            "rate."
        ),
        "nationality_iso3",
        (_uk_applications, _rate("grant_rate")),
    ),
}


def _latest_values_alt(chart: str, data: pd.DataFrame, names: dict) -> str:
    lead, key, sayings = _LATEST_VALUES[chart]
    return f"{lead} {_per_group(data, key, names, *sayings)}."


def origins_alt(data: pd.DataFrame, names: dict) -> str:
    """The origins compared: each origin's latest applications and protection rate."""
    return _latest_values_alt("origins", data, names)


def uk_alt(data: pd.DataFrame, names: dict) -> str:
    """The UK charts: each nationality's latest applications and grant rate."""
    return _latest_values_alt("uk", data, names)
