"""Chapter 2, the scale of the exodus: parameters and computations (its figures are drawn by
:mod:`exile_report.analysis.scale_figures`).

The published figures on the post-2022 exodus disagree mostly because they count different
things: people who left (departures), people who left and are still abroad (a stock), trips across
a border, residence permits granted, asylum claims lodged. This module keeps the concept of every
figure attached to it, and its one summing function (:func:`reconcile`) refuses to add figures of
different concepts or units, and never takes returns off a count of people still abroad (rule
K02). :func:`headline` is the size of the exodus as the book states it (a low, central and high
count of people still abroad, with its date and sources); the key findings, chapter 1 and the
closing chapter quote it. Everything here works on plain DataFrames following the column
contract of ``estimates.csv`` so it can be tested on small hand-made tables.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..figure_columns import COLUMN_GROUPS
from ..params import Param
from ..prose import INVASION, cite, num, pct
from ..prose import date as prose_date

PARAMETERS = [
    Param(
        "as_of",
        "date",
        "Date of our estimate: only figures referring to dates up to it are used.",
        default="2024-12-31",
    ),
    Param(
        "hosts",
        "list[str]",
        "Host countries (ISO3 codes) summed in our estimate.",
        default=[
            "ARM",
            "GEO",
            "KAZ",
            "ISR",
            "TUR",
            "SRB",
            "DEU",
            "USA",
            "EST",
            "LVA",
            "LTU",
            "FIN",
            "KGZ",
            "ESP",
            "KOR",
        ],
    ),
    Param(
        "source_choice",
        "dict[str]",
        "Per host country (ISO3), the estimate id (E…, or F… for a press figure) to use instead "
        "of the default choice (the latest figure of people still abroad up to as_of).",
        default={},
    ),
]

#: Concepts of estimates.csv, in the order used for legends, with reader-facing labels.
CONCEPTS = {
    "departures": "Departures (people who left)",
    "stock-abroad": "People still abroad",
    "border-crossings": "Border crossings (trips)",
    "residence-permits": "Residence permits",
    "asylum-claims": "Asylum claims",
    "returns-share": "Share who returned",
    "other": "Other",
}
#: The same concepts as short plural nouns for running text ("Turkey has residence permits").
CONCEPT_WORDS = {
    "departures": "departures",
    "stock-abroad": "people still abroad",
    "border-crossings": "border crossings",
    "residence-permits": "residence permits",
    "asylum-claims": "asylum claims",
    "returns-share": "shares who returned",
    "other": "other counts",
}
#: The concept our own estimate sums; the only one that answers "how many are abroad now".
STOCK = "stock-abroad"
GRADE_ORDER = {"A": 0, "B": 1, "C": 2}
#: The columns that identify a figure in the chart data (ladder, host chart), declared with the
#: figures' columns.
FIGURE_COLUMNS = COLUMN_GROUPS["estimate_figure"]


class IncomparableError(ValueError):
    """Raised when figures of different concepts or units would be added together."""


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: host codes must look like ISO3 codes, and a source choice must
    name an estimate id for a listed host."""
    problems = []
    bad = [h for h in values["hosts"] if not (len(h) == 3 and h.isalpha() and h.isupper())]
    if bad:
        problems.append(f"hosts must be ISO3 codes in capitals, got {', '.join(map(repr, bad))}")
    known = _known_hosts()
    empty = [h for h in values["hosts"] if known and h not in known]
    if empty:
        one = len(empty) == 1
        problems.append(
            f"{'host' if one else 'hosts'} {', '.join(map(repr, empty))} "
            f"{'has' if one else 'have'} no figure in estimates.csv or press_figures.csv "
            f"(nothing could be said about {'it' if one else 'them'})"
        )
    for host, eid in values["source_choice"].items():
        if host not in values["hosts"]:
            problems.append(f"source_choice names {host!r}, which is not in hosts")
        if not (eid[:1] in ("E", "F") and eid[1:].isdigit()):
            problems.append(f"source_choice[{host!r}] = {eid!r} is not an estimate id (E001, F04…)")
        elif eid not in _known_ids():
            problems.append(
                f"source_choice[{host!r}] = {eid!r} is in neither estimates.csv nor "
                "press_figures.csv"
            )
    return problems


def _column_values(estimates_col: str, press_col: str) -> set[str]:
    """The values of one column of the curated estimates and one of the press figures, read as
    text: this runs before any notebook, when a parameter is checked."""
    from ..paths import CURATED, PROCESSED

    out: set[str] = set()
    for path, col in (
        (CURATED / "estimates.csv", estimates_col),
        (PROCESSED / "press_figures.csv", press_col),
    ):
        if path.is_file():
            out |= set(pd.read_csv(path, usecols=[col], dtype="string")[col].dropna())
    return out


def _known_ids() -> set[str]:
    """Ids of the curated estimates and press figures."""
    return _column_values("estimate_id", "figure_id")


def _known_hosts() -> set[str]:
    """Country codes with at least one figure in the curated estimates or the press figures."""
    return _column_values("geography", "destination_iso3")


# ---------------------------------------------------------------- the register


def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(value)


def register(estimates: pd.DataFrame, as_of) -> pd.DataFrame:
    """The estimates that refer to a date up to ``as_of``, sorted by that date, with a concept
    label and one display value (the central figure, else the low–high range)."""
    df = estimates[estimates["period_end"] <= _ts(as_of)].copy()
    df["concept_label"] = df["concept"].map(CONCEPTS).fillna(df["concept"])
    return df.sort_values(["period_end", "estimate_id"]).reset_index(drop=True)


def format_range(low, central, high, unit: str = "persons") -> str:
    """'820,000–920,000', '650,000', '≥ 48,000', '15%' – how a figure reads in a table."""

    def fmt(v):
        if v is None or pd.isna(v):
            return None
        return pct(v) if unit == "share" else num(v)

    lo, mid, hi = fmt(low), fmt(central), fmt(high)
    if lo and hi and lo != hi:
        return f"{lo}–{hi}" + (f" (central {mid})" if mid and mid not in (lo, hi) else "")
    if mid:
        return mid
    if lo:
        return f"≥ {lo}"
    return f"≤ {hi}" if hi else "–"


def register_table(reg: pd.DataFrame) -> pd.DataFrame:
    """The reader's table of the register: seven short columns, one row per estimate."""
    return pd.DataFrame(
        {
            "Id": reg["estimate_id"],
            "Refers to": reg["period_end"].dt.strftime("%Y-%m-%d"),
            "Estimator": reg["estimator"],
            "Where": reg["geography"].where(reg["geography"] != "WLD", "all"),
            "Concept": reg["concept_label"],
            "Figure": [
                format_range(r.low, r.central, r.high, r.unit)
                + ("" if r.unit in ("persons", "share") else f" {r.unit}")
                for r in reg.itertuples()
            ],
            "Source": [cite(c) for c in reg["citation_key"]],
        }
    )


def ladder_data(reg: pd.DataFrame) -> pd.DataFrame:
    """Worldwide estimates that are counts (not shares), for the ladder chart: the register's
    own columns (the chart derives where it draws each range, :func:`ladder_marks`)."""
    df = reg[(reg["geography"] == "WLD") & (reg["unit"] != "share")]
    return df[[*FIGURE_COLUMNS, "citation_key"]].reset_index(drop=True)


def ladder_marks(ladder: pd.DataFrame) -> pd.DataFrame:
    """Where the ladder draws each estimate: its range from the smallest to the largest of low,
    central and high (``lo``, ``hi``), and its marker at the central value, or the middle of the
    range when only a range was published (``mid``). Drawing only: not in the figure's CSV."""
    values = ladder[["low", "central", "high"]]
    lo, hi = values.min(axis=1), values.max(axis=1)
    return ladder.assign(lo=lo, hi=hi, mid=ladder["central"].fillna((lo + hi) / 2))


# ---------------------------------------------------------------- host countries


def press_as_estimates(press: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Press-reported per-country figures (The Bell, FSB) in the shape of estimates.csv.

    A press row is dropped when estimates.csv already holds the same producer's figure of the
    same concept for the same country (the curated table wins), and of The Bell's two versions
    of one figure (74,000 and 73,500 for Georgia) the first reported is kept. Each figure keeps
    its own citation (the page that gives it) and the outlet that reported it (``reported_by``),
    so the text can say "The Bell's estimate, as reported by …".
    """
    p = press[press["destination_iso3"].notna() & (press["destination_iso3"] != "WLD")].copy()
    p = p.drop_duplicates(["series", "destination_iso3"], keep="first")
    is_bell = p["producer"].str.contains("Bell")
    out = pd.DataFrame(
        {
            "estimate_id": p["figure_id"],
            "estimator": p["producer"],
            "estimator_type": np.where(is_bell, "media", "border-service"),
            "date_published": p["reporting_page_date"],
            "period_start": p["period_start"],
            "period_end": p["period_end"],
            "geography": p["destination_iso3"],
            "concept": p["concept"],
            "low": pd.NA,
            "central": p["value"].astype("Float64"),
            "high": pd.NA,
            "unit": p["unit"],
            "method": np.where(
                is_bell,
                "Requests to host-country migration authorities",
                "FSB border statistics of departures",
            ),
            "figure_as_published": p["value_as_stated"],
            "citation_key": p["citation_key"],  # the page that holds this figure
            "grade": p["grade"],
            "note": p["note"],
            "reported_by": p["reported_by"],  # the outlet, when the estimator is not the outlet
        }
    )
    if len(estimates):
        est_bell = estimates["estimator"].str.contains("Bell", na=False) | estimates[
            "citation_key"
        ].str.contains("thebell", na=False)
        have = set(zip(estimates.loc[est_bell, "geography"], estimates.loc[est_bell, "concept"]))
        dup = [
            (g, c) in have and "Bell" in e
            for g, c, e in zip(out["geography"], out["concept"], out["estimator"])
        ]
        out = out[~np.array(dup, dtype=bool)]
    for col in ("low", "high"):
        out[col] = out[col].astype("Float64")
    return out.reset_index(drop=True)


def host_figures(estimates: pd.DataFrame, press: pd.DataFrame, hosts, as_of) -> pd.DataFrame:
    """Every per-country figure (curated estimates and press figures) for the chosen hosts that
    refers to a date up to ``as_of``, sorted by country, concept and date."""
    pool = pd.concat([estimates, press_as_estimates(press, estimates)], ignore_index=True)
    pool = pool[pool["geography"].isin(list(hosts)) & (pool["period_end"] <= _ts(as_of))].copy()
    pool["concept_label"] = pool["concept"].map(CONCEPTS).fillna(pool["concept"])
    order = {c: i for i, c in enumerate(CONCEPTS)}
    pool["_c"] = pool["concept"].map(order)
    return (
        pool.sort_values(["geography", "_c", "period_end", "estimate_id"])
        .drop(columns="_c")
        .reset_index(drop=True)
    )


def citable(figures: pd.DataFrame, source_choice: dict | None = None) -> pd.DataFrame:
    """The figures that may enter a sum: grade A or B (the source policy: no figure rests on a
    grade C source alone), and any figure the reader chose by id in ``source_choice``."""
    chosen_ids = set((source_choice or {}).values())
    keep = figures["grade"].isin(HEADLINE_GRADES) | figures["estimate_id"].isin(chosen_ids)
    return figures[keep]


#: Countries for which reports of The Bell's 2024 study give a figure of people still abroad
#: that no page this book may cite holds: searched in research/primary-sources.csv,
#: research/dossier.md (which quotes Latvia and South Korea from copies on sites graded C) and
#: the press snapshot; the United Kingdom's and Argentina's were not found at all.
BELL_UNSOURCED = ("LVA", "KOR", "GBR", "ARG")


def trips_and_people(figures: pd.DataFrame) -> pd.DataFrame:
    """Per country with both a count of border crossings (trips) and a count of people still
    abroad: the largest of each and their ratio (trips per person), largest ratio first."""
    value = _value(figures)
    trips = value[(figures["concept"] == "border-crossings") & (figures["unit"] == "trips")]
    people = value[(figures["concept"] == STOCK) & (figures["unit"] == "persons")]
    geo = figures["geography"]
    t = trips.groupby(geo[trips.index]).max()
    pp = people.groupby(geo[people.index]).max()
    out = pd.DataFrame({"trips": t, "people": pp}).dropna()
    out["ratio"] = out["trips"] / out["people"]
    out.index.name = "geography"
    return out.sort_values("ratio", ascending=False).reset_index()


def other_concepts(figures: pd.DataFrame, hosts) -> dict[str, list[str]]:
    """For each of ``hosts``, what its figures count, as words of :data:`CONCEPT_WORDS` in the
    order of :data:`CONCEPTS`; an empty list when there is no figure at all."""
    order = list(CONCEPTS)
    out = {}
    for host in hosts:
        found = set(figures.loc[figures["geography"] == host, "concept"])
        out[host] = [CONCEPT_WORDS[c] for c in order if c in found]
    return out


def choose_sources(
    figures: pd.DataFrame, hosts, source_choice: dict
) -> tuple[pd.DataFrame, list[str]]:
    """One figure of people still abroad per host country, and notes on hosts left out.

    The default is the figure referring to the latest date; ties go to the better grade, then the
    later publication, then the lower id. ``source_choice`` (host -> id) overrides the default; an
    id that is not a stock figure for that host up to ``as_of`` is refused with a ValueError.
    """
    stock = figures[(figures["concept"] == STOCK) & (figures["unit"] == "persons")]
    # Best first within each country: latest reference date, better grade, later publication
    # (unknown publication dates sort last), lower id.
    order = pd.DataFrame(
        {
            "period_end": stock["period_end"],
            "_g": stock["grade"].map(GRADE_ORDER).fillna(9),
            "_pub": pd.to_datetime(stock["date_published"])
            .astype("datetime64[us]")
            .fillna(pd.Timestamp("1900-01-01")),
            "estimate_id": stock["estimate_id"],
        }
    ).sort_values(["period_end", "_g", "_pub", "estimate_id"], ascending=[False, True, False, True])
    best = order.index.to_series().groupby(stock.loc[order.index, "geography"]).first()
    picks, notes = [], []
    for host in hosts:
        if host in source_choice:
            match = stock.index[
                (stock["geography"] == host) & (stock["estimate_id"] == source_choice[host])
            ]
            if len(match) == 0:
                avail = ", ".join(stock.loc[stock["geography"] == host, "estimate_id"]) or "none"
                raise ValueError(
                    f"source_choice[{host!r}] = {source_choice[host]!r} is not a figure of people "
                    f"still abroad in {host} up to as_of; available: {avail}"
                )
            picks.append(match[0])
        elif host in best.index:
            picks.append(best[host])
        else:
            notes.append(host)
    return stock.loc[picks].reset_index(drop=True), notes


# ---------------------------------------------------------------- our estimate


def _value(df: pd.DataFrame) -> pd.Series:
    """One number per figure: the central value, else the midpoint of low and high (or the one
    that is set)."""
    return (
        pd.to_numeric(df["central"], errors="coerce")
        .astype(float)
        .fillna(df[["low", "high"]].astype(float).mean(axis=1))
    )


def _bounds(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The lowest and the highest value each figure states (its low and high when it gives a
    range, else its one value)."""
    vals = df[["low", "central", "high"]].astype(float)
    return vals.min(axis=1), vals.max(axis=1)


def rounding_unit(value) -> int:
    """The precision a published figure is stated to: the largest power of ten that divides it,
    read as at least two significant figures (73,500 -> 100; 110,000 and 100,000 -> 10,000;
    80,000 -> 1,000; 3,880,679 -> 1). Zero and non-integers give 1."""
    v = abs(float(value))
    if v == 0 or v != round(v):
        return 1
    v = int(v)
    unit = 1
    while v % (unit * 10) == 0:
        unit *= 10
    return max(1, min(unit, 10 ** (len(str(v)) - 2)))


def round_to_inputs(total: float, inputs) -> float:
    """``total`` rounded to the coarsest precision among the figures it was computed from: a sum
    of figures stated to the ten thousand is known to the ten thousand, not to the hundred."""
    units = [rounding_unit(v) for v in inputs if v is not None and not pd.isna(v)]
    unit = max(units, default=1)
    return float(round(float(total) / unit) * unit)


def host_ranges(
    figures: pd.DataFrame, chosen: pd.DataFrame, *, concept: str = STOCK
) -> pd.DataFrame:
    """Per host country of ``chosen``, the range of every published figure of ``concept`` in
    persons: ``low`` is the lowest value any of them states, ``high`` the highest, ``central`` the
    chosen figure; ``n_figures`` says how many figures the range rests on (with one figure, low =
    central = high: there is no published range for that country)."""
    pool = figures[(figures["concept"] == concept) & (figures["unit"] == "persons")]
    rows = chosen.copy()
    lows, highs, counts = [], [], []
    for host, central in zip(rows["geography"], _value(rows)):
        own = pool[pool["geography"] == host]
        lo, hi = _bounds(own) if len(own) else (pd.Series([central]), pd.Series([central]))
        lows.append(min(float(lo.min()), central))
        highs.append(max(float(hi.max()), central))
        counts.append(max(len(own), 1))
    rows["low"] = lows
    rows["central"] = list(_value(chosen))
    rows["high"] = highs
    rows["n_figures"] = counts
    return rows.reset_index(drop=True)


def reconcile(inputs: pd.DataFrame, *, concept: str = STOCK) -> dict:
    """Sum one comparable figure per host country: its low, central and high values separately.

    ``inputs`` has one row per host: ``geography``, ``concept``, ``unit``, and at least one of
    ``low``, ``central``, ``high`` (persons). A missing low or high takes the central value; a
    missing central takes the midpoint of low and high (or the one that is set).

    Nothing is taken off for people who went back: the figures summed are counts of people still
    abroad, which have already left out those who returned (the book's rule K02: do not net
    returns out of any stock figure). The totals are rounded to the precision of the figures
    they add (:func:`round_to_inputs`); ``exact_*`` keep the unrounded sums.

    Refuses (IncomparableError) to add rows of another concept than ``concept``, of a unit other
    than persons, worldwide totals, or two rows for one country.
    """
    if inputs.empty:
        zero = {k: 0.0 for k in ("low", "central", "high")}
        return {
            **zero,
            **{f"exact_{k}": 0.0 for k in zero},
            "n": 0,
            "rows": inputs.copy(),
        }
    concepts = sorted(set(inputs["concept"]))
    if concepts != [concept]:
        bad = inputs.loc[inputs["concept"] != concept]
        ids = ", ".join(map(str, bad.get("estimate_id", bad.index)))
        raise IncomparableError(
            f"refusing to add incomparable figures: concepts {concepts} (only {concept!r} may be "
            f"summed; offending rows: {ids})"
        )
    units = sorted(set(inputs["unit"]))
    if units != ["persons"]:
        raise IncomparableError(f"refusing to add figures in units {units}: only persons")
    if (inputs["geography"] == "WLD").any():
        raise IncomparableError("refusing to add a worldwide total to per-country figures")
    dup = inputs["geography"][inputs["geography"].duplicated()].tolist()
    if dup:
        raise IncomparableError(
            f"two figures for one country would double count: {sorted(set(dup))}"
        )
    rows = inputs.copy()
    for col in ("low", "central", "high"):
        rows[col] = pd.to_numeric(rows[col], errors="coerce").astype(float)
    mid = rows["central"].fillna(rows[["low", "high"]].mean(axis=1))
    rows["low"] = rows["low"].fillna(mid)
    rows["high"] = rows["high"].fillna(mid)
    rows["central"] = mid
    if rows[["low", "central", "high"]].isna().any().any():
        raise ValueError("every input row needs at least one of low, central, high")
    out: dict = {"n": len(rows), "rows": rows}
    for col in ("low", "central", "high"):
        exact = float(rows[col].sum())
        out[f"exact_{col}"] = exact
        out[col] = round_to_inputs(exact, rows[col])
    return out


def same_countries_earlier(
    figures: pd.DataFrame,
    earlier: pd.DataFrame,
    hosts,
    source_choice: dict,
) -> dict:
    """The sum at an earlier date, like with like: only the hosts with a figure of people still
    abroad at both dates are compared, each at its default (or chosen) figure then and now.

    Returns ``hosts`` (the common hosts), ``now`` and ``then`` (their exact sums) and ``base``
    and ``total`` (the full central sum, and the same with the common hosts at their earlier
    figures: every other host keeps its figure, so the two totals cover the same countries)."""
    now_rows, _ = choose_sources(figures, hosts, source_choice)
    keep = {h: e for h, e in source_choice.items() if e in set(earlier["estimate_id"])}
    then_rows, _ = choose_sources(earlier, hosts, keep)
    common = [h for h in hosts if h in set(now_rows["geography"]) & set(then_rows["geography"])]
    now_v = dict(zip(now_rows["geography"], _value(now_rows)))
    then_v = dict(zip(then_rows["geography"], _value(then_rows)))
    now = sum(now_v[h] for h in common)
    then = sum(then_v[h] for h in common)
    base = float(sum(now_v.values()))
    return {"hosts": common, "now": now, "then": then, "base": base, "total": base - now + then}


def sensitivity(
    figures: pd.DataFrame,
    hosts,
    source_choice: dict,
    earlier: pd.DataFrame | None = None,
    earlier_label: str = "",
    names: dict | None = None,
) -> pd.DataFrame:
    """How the central sum moves when one choice changes at a time.

    Rows: for each host with more than one figure of people still abroad, the sum with its lowest
    and with its highest figure; with ``earlier`` (the host figures as of an earlier date), the
    sum with the hosts that have a figure at both dates taken at the earlier one
    (:func:`same_countries_earlier`: the same countries on both sides). Columns: ``assumption``
    (a short label for the chart), ``phrase`` (the same choice as words that complete "the
    choice that moves the sum most is …"), ``low_total``, ``high_total``, ``low_case``,
    ``high_case``, ``base``, ``swing``.
    """
    chosen, _ = choose_sources(figures, hosts, source_choice)
    base = reconcile(chosen)["exact_central"]
    rows = []
    stock = figures[(figures["concept"] == STOCK) & (figures["unit"] == "persons")]
    for host in hosts:
        cands = stock[stock["geography"] == host]
        if len(cands) < 2:
            continue
        value = _value(cands).to_numpy(dtype=float)
        lo_id = cands["estimate_id"].iloc[int(np.argmin(value))]
        hi_id = cands["estimate_id"].iloc[int(np.argmax(value))]
        totals = {}
        for which, eid in (("low", lo_id), ("high", hi_id)):
            alt, _ = choose_sources(figures, hosts, {**source_choice, host: eid})
            totals[which] = reconcile(alt)["exact_central"]
        name = names.get(host, host) if names else host
        rows.append(
            {
                "assumption": f"Figure for {name}",
                "phrase": f"which published figure is used for {name}",
                "low_total": totals["low"],
                "high_total": totals["high"],
                "low_case": lo_id,
                "high_case": hi_id,
            }
        )
    if earlier is not None:
        then = same_countries_earlier(figures, earlier, hosts, source_choice)
        n = len(then["hosts"])
        if n:
            total = then["total"]
            countries = "country" if n == 1 else "countries"
            rows.append(
                {
                    "assumption": f"Figures a year earlier ({n} {countries})",
                    "phrase": (
                        f"the date: with the {n} {countries} that have a figure a year earlier "
                        "taken at that date"
                    ),
                    "low_total": min(total, base),
                    "high_total": max(total, base),
                    "low_case": earlier_label if total <= base else "as of",
                    "high_case": "as of" if total <= base else earlier_label,
                }
            )
    cols = ["assumption", "phrase", "low_total", "high_total", "low_case", "high_case"]
    out = pd.DataFrame(rows, columns=cols)
    out["base"] = base
    out["swing"] = out["high_total"] - out["low_total"]
    return out.sort_values("swing", ascending=True, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- the headline


#: What the headline counts, in the words the book uses for it.
HEADLINE_CONCEPT = (
    "people who left Russia after the invasion of February 2022 and were still abroad"
)
#: Grades a figure needs to set a bound of the headline (source policy: no figure rests on C).
HEADLINE_GRADES = ("A", "B")
#: Which per-country figure each end of a sum takes.
WHICH = {"low": "lowest", "central": "chosen", "high": "highest"}


@dataclass(frozen=True)
class Bound:
    """One end of the headline: its value, how it was obtained, and the figures behind it."""

    value: float
    basis: str
    ids: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Headline:
    """The size of the post-invasion exodus as the book states it (chapter 2, key findings,
    closing chapter): a low, central and high count of ``concept`` at ``as_of``.

    ``low`` is the lowest published worldwide count of people still abroad, or the sum of the
    lowest published per-country counts when that is higher; ``central`` the latest published
    worldwide count of people still abroad (or the per-country sum, when higher); ``high`` the
    highest published count of departures since the invasion (no more people can still be abroad
    than left), or of people still abroad, whichever is higher. Only figures of grade A or B set
    a bound. ``bounds`` says for each end how it was obtained."""

    low: float
    central: float
    high: float
    concept: str
    as_of: datetime.date
    source_keys: tuple[str, ...]
    bounds: dict = field(default_factory=dict, compare=False, hash=False)

    def range_text(self) -> str:
        """'650,000–1,000,000' (or one number when low and high agree)."""
        return format_range(self.low, None, self.high)

    def as_text(self) -> str:
        """The range as a clause with its concept, date and sources: '650,000–1,000,000 people
        who left … and were still abroad, in July 2024 [@…]'."""
        return (
            f"{self.range_text()} {self.concept}, in {prose_date(self.as_of, 'month')} "
            f"{cite(list(self.source_keys))}"
        )


def departures_since_invasion(reg: pd.DataFrame, grades=HEADLINE_GRADES) -> pd.DataFrame:
    """Worldwide counts of departures (persons) that count from the day of the invasion, of the
    given grades. A figure that starts earlier (a forecast for the whole of 2022, Rosstat's
    half-year) also counts ordinary emigration before the war and is left out."""
    return reg[
        (reg["geography"] == "WLD")
        & (reg["concept"] == "departures")
        & (reg["unit"] == "persons")
        & (reg["period_start"] == INVASION)
        & reg["grade"].isin(list(grades))
    ]


def _keys(rows: pd.DataFrame) -> tuple[str, ...]:
    out: list[str] = []
    for k in rows["citation_key"].dropna():
        for key in str(k).split(";"):
            if key.strip() and key.strip() not in out:
                out.append(key.strip())
    return tuple(out)


def headline_from(register_rows: pd.DataFrame, per_country: pd.DataFrame | None = None) -> Headline:
    """The headline from a register of figures (the contract of ``estimates.csv``) and,
    optionally, per-country ranges of people still abroad (:func:`host_ranges`).

    Raises ValueError when no worldwide count of people still abroad of grade A or B is in
    ``register_rows``: the headline is never made up from departures alone."""
    good = register_rows[
        register_rows["grade"].isin(HEADLINE_GRADES)
        & (register_rows["geography"] == "WLD")
        & (register_rows["unit"] == "persons")
    ]
    stock = good[good["concept"] == STOCK]
    dep = departures_since_invasion(register_rows)
    if stock.empty:
        raise ValueError(
            "no worldwide count of people still abroad (grade A or B) up to this date: "
            "the headline cannot be stated"
        )
    s_lo, s_hi = _bounds(stock)
    # The lowest published count (every figure that states it); the latest as the central value
    # (ties: better grade, lower id).
    low_row = stock[s_lo == s_lo.min()]
    latest = stock.assign(_g=stock["grade"].map(GRADE_ORDER)).sort_values(
        ["period_end", "_g", "estimate_id"], ascending=[False, True, True]
    )
    central_row = latest.iloc[[0]].drop(columns="_g")
    cands = [
        (
            float(s_hi.max()),
            "the highest published count of people still abroad",
            stock[s_hi == s_hi.max()],
        )
    ]
    if not dep.empty:
        d_hi = _bounds(dep)[1]
        basis = (
            "the highest published count of departures since the invasion (no more people can "
            "still be abroad than left)"
        )
        cands.append((float(d_hi.max()), basis, dep[d_hi == d_hi.max()]))
    high_value, high_basis, high_row = max(cands, key=lambda c: c[0])

    def bound(value, basis, rows) -> Bound:
        return Bound(float(value), basis, tuple(rows["estimate_id"]), _keys(rows))

    bounds = {
        "low": bound(
            float(s_lo.min()), "the lowest published count of people still abroad", low_row
        ),
        "central": bound(
            float(_value(central_row).iloc[0]),
            "the latest published count of people still abroad",
            central_row,
        ),
        "high": bound(high_value, high_basis, high_row),
    }
    as_of = pd.Timestamp(central_row["period_end"].iloc[0])
    if per_country is not None and len(per_country):
        summed = reconcile(per_country)
        n = summed["n"]
        for end in ("low", "central", "high"):
            if summed[end] > bounds[end].value:
                bounds[end] = bound(
                    summed[end],
                    f"the sum of the {WHICH[end]} published counts for {n} host countries",
                    per_country,
                )
        if bounds["central"].ids == tuple(per_country["estimate_id"]):
            as_of = max(as_of, pd.Timestamp(per_country["period_end"].max()))
    keys: list[str] = []
    for end in ("low", "central", "high"):
        keys += [k for k in bounds[end].keys if k not in keys]
    return Headline(
        low=bounds["low"].value,
        central=bounds["central"].value,
        high=bounds["high"].value,
        concept=HEADLINE_CONCEPT,
        as_of=as_of.date(),
        source_keys=tuple(keys),
        bounds=bounds,
    )


def headline(
    as_of=None,
    hosts=None,
    source_choice: dict | None = None,
    *,
    estimates: pd.DataFrame | None = None,
    press: pd.DataFrame | None = None,
) -> Headline:
    """The headline range of chapter 2 with the chapter's defaults (or the values given): the
    one function the key findings, chapter 1 and the closing chapter quote."""
    from ..data import load

    defaults = {p.name: p.default for p in PARAMETERS}
    as_of = defaults["as_of"] if as_of is None else as_of
    hosts = defaults["hosts"] if hosts is None else hosts
    source_choice = defaults["source_choice"] if source_choice is None else source_choice
    estimates = load_estimates() if estimates is None else estimates
    press = load("press_figures") if press is None else press
    figures = host_figures(estimates, press, hosts, as_of)
    good = citable(figures, source_choice)
    chosen, _ = choose_sources(good, hosts, source_choice)
    return headline_from(register(estimates, as_of), host_ranges(good, chosen))


# ---------------------------------------------------------------- permits and asylum claims


def first_permits(eurostat: pd.DataFrame, as_of) -> pd.DataFrame:
    """Eurostat first residence permits to Russian citizens, country × year, years up to as_of."""
    df = eurostat[(eurostat["dataset"] == "migr_resfirst") & (eurostat["year"] <= _ts(as_of).year)]
    return (
        df[["geo_iso3", "geo_name", "year", "value"]]
        .dropna(subset=["value"])
        .sort_values(["geo_iso3", "year"])
        .reset_index(drop=True)
    )


def permit_break(permits: pd.DataFrame, before=(2019, 2021), after=(2022, 2024)) -> pd.DataFrame:
    """Mean yearly first permits per country before and after the invasion (years inclusive),
    counting only years with a value; the ratio is after / before."""

    def mean_in(lo, hi):
        sel = permits[(permits["year"] >= lo) & (permits["year"] <= hi)]
        return sel.groupby("geo_iso3")["value"].agg(["mean", "count"])

    b, a = mean_in(*before), mean_in(*after)
    out = b.join(a, suffixes=("_before", "_after"), how="inner")
    out = out[(out["count_before"] > 0) & (out["count_after"] > 0)]
    out["ratio"] = out["mean_after"] / out["mean_before"]
    names = permits.drop_duplicates("geo_iso3").set_index("geo_iso3")["geo_name"]
    out.insert(0, "geo_name", names.reindex(out.index))
    return out.reset_index().sort_values("ratio", ascending=False).reset_index(drop=True)


def asylum_claims(applications: pd.DataFrame, as_of, start_year: int = 2014) -> pd.DataFrame:
    """New asylum applications by Russian citizens per year, persons and cases in separate columns
    (never added: a case may hold several persons)."""
    df = applications[
        (applications["origin_iso3"] == "RUS")
        & (applications["app_type"] == "N")
        & (applications["year"] >= start_year)
        & (applications["year"] <= _ts(as_of).year)
    ]
    out = df.pivot_table(index="year", columns="app_pc", values="applied", aggfunc="sum")
    out = out.reindex(columns=["P", "C"]).rename(columns={"P": "persons", "C": "cases"})
    out.columns.name = None
    return out.reset_index().astype({"year": int})


def asylum_by_country(
    applications: pd.DataFrame, as_of, since: int = 2022, top: int = 10
) -> pd.DataFrame:
    """New asylum applications by Russian persons per country of asylum, years since..as_of,
    the ``top`` countries (persons only; rows counted in cases are left out, not converted)."""
    year_to = _ts(as_of).year
    df = applications[
        (applications["origin_iso3"] == "RUS")
        & (applications["app_type"] == "N")
        & (applications["app_pc"] == "P")
        & (applications["year"] >= since)
        & (applications["year"] <= year_to)
    ]
    if df.empty:
        return pd.DataFrame(columns=["asylum_iso3", "asylum_name"])
    wide = df.pivot_table(
        index=["asylum_iso3", "asylum_name"], columns="year", values="applied", aggfunc="sum"
    ).fillna(0)
    wide.columns = [str(c) for c in wide.columns]
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False).head(top).reset_index()
    return wide


def host_chart_data(figures: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Per-country figures for the dot chart: one value per figure and whether our estimate uses it."""
    df = figures.copy()
    df["value"] = df["central"].fillna(df[["low", "high"]].mean(axis=1)).astype(float)
    df["used_in_estimate"] = df["estimate_id"].isin(set(chosen["estimate_id"]))
    cols = ["geography", *FIGURE_COLUMNS, "value", "used_in_estimate", "citation_key"]
    return df[cols].reset_index(drop=True)


# ---------------------------------------------------------------- loading


def load_estimates() -> pd.DataFrame:
    """The curated register of estimates (``estimates.csv``), figures as nullable floats."""
    from ..data import load

    df = load("estimates")
    for c in ("low", "central", "high"):
        df[c] = df[c].astype("Float64")
    return df


def load_conflicts() -> pd.DataFrame:
    """Conflicts between sources (``conflicts.csv``, validated), as text, in id order."""
    from ..data import load

    return load("conflicts").astype("string").sort_values("conflict_id").reset_index(drop=True)


def scale_conflicts(conflicts: pd.DataFrame, estimates: pd.DataFrame, hosts) -> pd.DataFrame:
    """Conflicts about the estimates register that touch the chosen hosts or the worldwide
    total (judged from the rows they name)."""
    df = conflicts[conflicts["table"] == "estimates"].copy()
    if df.empty:
        return df
    geo = dict(zip(estimates["estimate_id"], estimates["geography"]))
    keep = []
    for ids in df["row_ids"].fillna(""):
        places = {geo.get(i.strip()) for i in str(ids).split(";") if i.strip()}
        keep.append(not places or bool(places & (set(hosts) | {"WLD", None})))
    return df[keep].reset_index(drop=True)
