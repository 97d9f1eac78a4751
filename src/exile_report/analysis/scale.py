"""Chapter 2, the scale of the exodus: parameters and computations.

The published figures on the post-2022 exodus disagree mostly because they count different
things: people who left (departures), people who left and are still abroad (a stock), trips across
a border, residence permits granted, asylum claims lodged. This module keeps the concept of every
figure attached to it, and its one summing function (:func:`reconcile`) refuses to add figures of
different concepts or units. Everything here works on plain DataFrames following the column
contract of ``estimates.csv`` so it can be tested on small hand-made tables.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..cite import cite
from ..maps import country_rings, equal_earth
from ..params import Param

PARAMETERS = [
    Param("as_of", "date", "Date of our estimate: only figures referring to dates up to it are used."),
    Param("return_rate", "list[float]", "Low and high share of leavers who have returned.",
          minimum=0.0, maximum=1.0, length=2),
    Param("hosts", "list[str]", "Host countries (ISO3 codes) summed in our estimate."),
    Param("source_choice", "dict[str]",
          "Per host country (ISO3), the estimate id (E…, or F… for a press figure) to use instead "
          "of the default choice (the latest figure of people still abroad up to as_of)."),
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
#: The concept our own estimate sums; the only one that answers "how many are abroad now".
STOCK = "stock-abroad"
GRADE_ORDER = {"A": 0, "B": 1, "C": 2}
FIRST_DAY = pd.Timestamp("2022-02-24")  # start of the full-scale invasion


class IncomparableError(ValueError):
    """Raised when figures of different concepts or units would be added together."""


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: the low return rate may not exceed the high one, host codes must
    look like ISO3 codes, and a source choice must name an estimate id for a listed host."""
    problems = []
    low, high = values["return_rate"]
    if low > high:
        problems.append(f"return_rate low ({low}) is above high ({high})")
    bad = [h for h in values["hosts"] if not (len(h) == 3 and h.isalpha() and h.isupper())]
    if bad:
        problems.append(f"hosts must be ISO3 codes in capitals, got {', '.join(map(repr, bad))}")
    for host, eid in values["source_choice"].items():
        if host not in values["hosts"]:
            problems.append(f"source_choice names {host!r}, which is not in hosts")
        if not (eid[:1] in ("E", "F") and eid[1:].isdigit()):
            problems.append(f"source_choice[{host!r}] = {eid!r} is not an estimate id (E001, F04…)")
        elif eid not in _known_ids():
            problems.append(f"source_choice[{host!r}] = {eid!r} is in neither estimates.csv nor "
                            "press_figures.csv")
    return problems


def _known_ids() -> set[str]:
    """Ids of the curated estimates and press figures (read as text: this runs before any
    notebook, when a parameter is checked)."""
    from ..paths import CURATED, PROCESSED

    ids: set[str] = set()
    for path, col in ((CURATED / "estimates.csv", "estimate_id"),
                      (PROCESSED / "press_figures.csv", "figure_id")):
        if path.is_file():
            ids |= set(pd.read_csv(path, usecols=[col], dtype="string")[col].dropna())
    return ids


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
    """'820,000–920,000', '650,000', '≥ 48,000', '15 %' – how a figure reads in a table."""
    def fmt(v):
        if v is None or pd.isna(v):
            return None
        return f"{v * 100:.0f} %" if unit == "share" else f"{v:,.0f}"
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
    return pd.DataFrame({
        "Id": reg["estimate_id"],
        "Refers to": reg["period_end"].dt.strftime("%Y-%m-%d"),
        "Estimator": reg["estimator"],
        "Where": reg["geography"].where(reg["geography"] != "WLD", "all"),
        "Concept": reg["concept_label"],
        "Figure": [format_range(r.low, r.central, r.high, r.unit) + ("" if r.unit in ("persons", "share")
                   else f" {r.unit}") for r in reg.itertuples()],
        "Source": [cite(c) for c in reg["citation_key"]],
    })


def ladder_data(reg: pd.DataFrame) -> pd.DataFrame:
    """Worldwide estimates that are counts (not shares), as ranges for the ladder chart."""
    df = reg[(reg["geography"] == "WLD") & (reg["unit"] != "share")].copy()
    df["lo"] = df[["low", "central", "high"]].min(axis=1)
    df["hi"] = df[["low", "central", "high"]].max(axis=1)
    df["mid"] = df["central"].fillna((df["lo"] + df["hi"]) / 2)
    cols = ["estimate_id", "estimator", "period_end", "concept", "unit", "low", "central", "high",
            "lo", "mid", "hi", "citation_key"]
    return df[cols].reset_index(drop=True)


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
    out = pd.DataFrame({
        "estimate_id": p["figure_id"],
        "estimator": p["producer"],
        "estimator_type": np.where(is_bell, "media", "border-service"),
        "date_published": p["reporting_page_date"],
        "period_start": p["period_start"],
        "period_end": p["period_end"],
        "geography": p["destination_iso3"],
        "concept": p["concept"],
        "low": pd.NA, "central": p["value"].astype("Float64"), "high": pd.NA,
        "unit": p["unit"],
        "method": np.where(is_bell, "Requests to host-country migration authorities",
                           "FSB border statistics of departures"),
        "figure_as_published": p["value_as_stated"],
        "citation_key": p["citation_key"],  # the page that holds this figure
        "grade": p["grade"],
        "note": p["note"],
        "reported_by": p["reported_by"],  # the outlet, when the estimator is not the outlet
    })
    if len(estimates):
        est_bell = estimates["estimator"].str.contains("Bell", na=False) | \
            estimates["citation_key"].str.contains("thebell", na=False)
        have = set(zip(estimates.loc[est_bell, "geography"], estimates.loc[est_bell, "concept"]))
        dup = [(g, c) in have and "Bell" in e
               for g, c, e in zip(out["geography"], out["concept"], out["estimator"])]
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
    return pool.sort_values(["geography", "_c", "period_end", "estimate_id"]) \
        .drop(columns="_c").reset_index(drop=True)


def choose_sources(figures: pd.DataFrame, hosts, source_choice: dict) -> tuple[pd.DataFrame, list[str]]:
    """One figure of people still abroad per host country, and notes on hosts left out.

    The default is the figure referring to the latest date; ties go to the better grade, then the
    later publication, then the lower id. ``source_choice`` (host -> id) overrides the default; an
    id that is not a stock figure for that host up to ``as_of`` is refused with a ValueError.
    """
    stock = figures[(figures["concept"] == STOCK) & (figures["unit"] == "persons")]
    # Best first within each country: latest reference date, better grade, later publication
    # (unknown publication dates sort last), lower id.
    order = pd.DataFrame({
        "period_end": stock["period_end"],
        "_g": stock["grade"].map(GRADE_ORDER).fillna(9),
        "_pub": pd.to_datetime(stock["date_published"]).astype("datetime64[us]")
        .fillna(pd.Timestamp("1900-01-01")),
        "estimate_id": stock["estimate_id"],
    }).sort_values(["period_end", "_g", "_pub", "estimate_id"],
                   ascending=[False, True, False, True])
    best = order.index.to_series().groupby(stock.loc[order.index, "geography"]).first()
    picks, notes = [], []
    for host in hosts:
        if host in source_choice:
            match = stock.index[(stock["geography"] == host)
                                & (stock["estimate_id"] == source_choice[host])]
            if len(match) == 0:
                avail = ", ".join(stock.loc[stock["geography"] == host, "estimate_id"]) or "none"
                raise ValueError(
                    f"source_choice[{host!r}] = {source_choice[host]!r} is not a figure of people "
                    f"still abroad in {host} up to as_of; available: {avail}")
            picks.append(match[0])
        elif host in best.index:
            picks.append(best[host])
        else:
            notes.append(host)
    return stock.loc[picks].reset_index(drop=True), notes


# ---------------------------------------------------------------- our estimate


def reconcile(inputs: pd.DataFrame, return_rate, *, concept: str = STOCK) -> dict:
    """Sum one comparable figure per host country and discount it by the share who returned.

    ``inputs`` has one row per host: ``geography``, ``concept``, ``unit``, and at least one of
    ``low``, ``central``, ``high`` (persons). A missing low or high takes the central value; a
    missing central takes the midpoint of low and high (or the one that is set).
    ``return_rate`` = (r_low, r_high): the share of the counted people who have since gone back
    (or moved on). Then

    * low = Σ low × (1 − r_high)
    * central = Σ central × (1 − (r_low + r_high) / 2)
    * high = Σ high × (1 − r_low)

    Refuses (IncomparableError) to add rows of another concept than ``concept``, of a unit other
    than persons, worldwide totals, or two rows for one country; refuses (ValueError) a return
    rate outside 0–1 or with low above high.
    """
    r_low, r_high = (float(x) for x in return_rate)
    if not (0.0 <= r_low <= r_high <= 1.0):
        raise ValueError(f"return_rate must satisfy 0 <= low <= high <= 1, got {list(return_rate)}")
    if inputs.empty:
        return {"low": 0.0, "central": 0.0, "high": 0.0, "sum_low": 0.0, "sum_central": 0.0,
                "sum_high": 0.0, "n": 0, "rows": inputs.copy()}
    concepts = sorted(set(inputs["concept"]))
    if concepts != [concept]:
        bad = inputs.loc[inputs["concept"] != concept]
        ids = ", ".join(map(str, bad.get("estimate_id", bad.index)))
        raise IncomparableError(
            f"refusing to add incomparable figures: concepts {concepts} (only {concept!r} may be "
            f"summed; offending rows: {ids})")
    units = sorted(set(inputs["unit"]))
    if units != ["persons"]:
        raise IncomparableError(f"refusing to add figures in units {units}: only persons")
    if (inputs["geography"] == "WLD").any():
        raise IncomparableError("refusing to add a worldwide total to per-country figures")
    dup = inputs["geography"][inputs["geography"].duplicated()].tolist()
    if dup:
        raise IncomparableError(f"two figures for one country would double count: {sorted(set(dup))}")
    rows = inputs.copy()
    for col in ("low", "central", "high"):
        rows[col] = pd.to_numeric(rows[col], errors="coerce").astype(float)
    mid = rows["central"].fillna(rows[["low", "high"]].mean(axis=1))
    rows["low"] = rows["low"].fillna(mid)
    rows["high"] = rows["high"].fillna(mid)
    rows["central"] = mid
    if rows[["low", "central", "high"]].isna().any().any():
        raise ValueError("every input row needs at least one of low, central, high")
    s_lo, s_mid, s_hi = (float(rows[c].sum()) for c in ("low", "central", "high"))
    return {
        "low": s_lo * (1 - r_high),
        "central": s_mid * (1 - (r_low + r_high) / 2),
        "high": s_hi * (1 - r_low),
        "sum_low": s_lo, "sum_central": s_mid, "sum_high": s_hi,
        "n": len(rows), "rows": rows,
    }


def sensitivity(figures: pd.DataFrame, hosts, source_choice: dict, return_rate,
                earlier: pd.DataFrame | None = None, earlier_label: str = "",
                names: dict | None = None) -> pd.DataFrame:
    """How the central total moves when one assumption changes at a time.

    Rows: the return rate at its low and at its high end (instead of the midpoint); for each
    host with more than one figure of people still abroad, its lowest and its highest figure; with
    ``earlier`` (the host figures as of an earlier date), the total at that date. Columns:
    ``assumption``, ``low_total``, ``high_total``, ``low_case``, ``high_case``, ``base``.
    """
    chosen, _ = choose_sources(figures, hosts, source_choice)
    base = reconcile(chosen, return_rate)["central"]
    r_low, r_high = return_rate
    rows = [{
        "assumption": "Return rate",
        "low_total": reconcile(chosen, (r_high, r_high))["central"],
        "high_total": reconcile(chosen, (r_low, r_low))["central"],
        "low_case": f"{r_high:.0%} returned", "high_case": f"{r_low:.0%} returned",
    }]
    stock = figures[(figures["concept"] == STOCK) & (figures["unit"] == "persons")]
    for host in hosts:
        cands = stock[stock["geography"] == host]
        if len(cands) < 2:
            continue
        value = cands["central"].fillna(cands[["low", "high"]].mean(axis=1))
        lo_id = cands["estimate_id"].iloc[int(np.argmin(value.to_numpy(dtype=float)))]
        hi_id = cands["estimate_id"].iloc[int(np.argmax(value.to_numpy(dtype=float)))]
        totals = {}
        for which, eid in (("low", lo_id), ("high", hi_id)):
            alt, _ = choose_sources(figures, hosts, {**source_choice, host: eid})
            totals[which] = reconcile(alt, return_rate)["central"]
        rows.append({"assumption": f"Source for {names.get(host, host) if names else host}", "low_total": totals["low"],
                     "high_total": totals["high"], "low_case": lo_id, "high_case": hi_id})
    if earlier is not None:
        keep = {h: e for h, e in source_choice.items() if e in set(earlier["estimate_id"])}
        alt, _ = choose_sources(earlier, hosts, keep)
        total = reconcile(alt, return_rate)["central"]
        rows.append({"assumption": "Date one year earlier", "low_total": min(total, base),
                     "high_total": max(total, base),
                     "low_case": earlier_label if total <= base else "as of",
                     "high_case": "as of" if total <= base else earlier_label})
    out = pd.DataFrame(rows)
    out["base"] = base
    out["swing"] = out["high_total"] - out["low_total"]
    return out.sort_values("swing", ascending=True, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- permits and asylum claims


def first_permits(eurostat: pd.DataFrame, as_of) -> pd.DataFrame:
    """Eurostat first residence permits to Russian citizens, country × year, years up to as_of."""
    df = eurostat[(eurostat["dataset"] == "migr_resfirst") &
                  (eurostat["year"] <= _ts(as_of).year)]
    return df[["geo_iso3", "geo_name", "year", "value"]].dropna(subset=["value"]) \
        .sort_values(["geo_iso3", "year"]).reset_index(drop=True)


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
    df = applications[(applications["origin_iso3"] == "RUS") & (applications["app_type"] == "N") &
                      (applications["year"] >= start_year) &
                      (applications["year"] <= _ts(as_of).year)]
    out = df.pivot_table(index="year", columns="app_pc", values="applied", aggfunc="sum")
    out = out.reindex(columns=["P", "C"]).rename(columns={"P": "persons", "C": "cases"})
    out.columns.name = None
    return out.reset_index().astype({"year": int})


def asylum_by_country(applications: pd.DataFrame, as_of, since: int = 2022, top: int = 10) -> pd.DataFrame:
    """New asylum applications by Russian persons per country of asylum, years since..as_of,
    the ``top`` countries (persons only; rows counted in cases are left out, not converted)."""
    year_to = _ts(as_of).year
    df = applications[(applications["origin_iso3"] == "RUS") & (applications["app_type"] == "N") &
                      (applications["app_pc"] == "P") & (applications["year"] >= since) &
                      (applications["year"] <= year_to)]
    if df.empty:
        return pd.DataFrame(columns=["asylum_iso3", "asylum_name"])
    wide = df.pivot_table(index=["asylum_iso3", "asylum_name"], columns="year", values="applied",
                          aggfunc="sum").fillna(0)
    wide.columns = [str(c) for c in wide.columns]
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False).head(top).reset_index()
    return wide


# ---------------------------------------------------------------- the map






BINS = (0, 10_000, 25_000, 50_000, 100_000, math.inf)


def bin_labels(bins=BINS) -> list[str]:
    """'under 10,000', '10,000–25,000', …, '100,000 or more'."""
    labels = []
    for lo, hi in itertools.pairwise(bins):
        if lo == 0:
            labels.append(f"under {hi:,.0f}")
        elif math.isinf(hi):
            labels.append(f"{lo:,.0f} or more")
        else:
            labels.append(f"{lo:,.0f}–{hi:,.0f}")
    return labels


def value_bin(value: float, bins=BINS) -> int:
    """Index of the class a value falls in (lower edge inclusive)."""
    for i, (lo, hi) in enumerate(itertools.pairwise(bins)):
        if lo <= value < hi:
            return i
    raise ValueError(f"value {value} outside the classes")


# ---------------------------------------------------------------- charts
# Drawing lives here (not in the notebook) so the notebook stays a list of calls and captions.

CONCEPT_COLOURS = {
    "departures": "#0072B2",        # blue
    "stock-abroad": "#E69F00",      # orange
    "border-crossings": "#D55E00",  # vermillion
    "residence-permits": "#009E73", # green
    "asylum-claims": "#CC79A7",     # purple
    "returns-share": "#56B4E9",     # sky
    "other": "#6b6b6b",             # grey
}
CONCEPT_MARKERS = {"departures": "o", "stock-abroad": "D", "border-crossings": "^",
                   "residence-permits": "s", "asylum-claims": "v", "returns-share": "P",
                   "other": "X"}


def _concept_legend(ax, concepts, **kw):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=CONCEPT_COLOURS[c], marker=CONCEPT_MARKERS[c], linestyle="",
                      markersize=6, label=CONCEPTS[c]) for c in CONCEPTS if c in set(concepts)]
    return ax.legend(handles=handles, **kw)


def placeholder(ax, message: str) -> None:
    """An empty chart that says why it is empty (a parameter selected nothing)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=10,
            wrap=True)
    ax.set_axis_off()


def plot_ladder(ax, ladder: pd.DataFrame) -> None:
    """Worldwide estimates against the date they refer to: a vertical bar from low to high, a
    marker at the central value, colour and marker by concept, log scale (trips dwarf persons)."""
    import matplotlib.dates as mdates

    from ..plotting import LABEL_HALO, mark_dates, thousands

    placed: list = []
    for r in ladder.sort_values(["period_end", "mid"]).itertuples():
        colour, marker = CONCEPT_COLOURS[r.concept], CONCEPT_MARKERS[r.concept]
        if r.hi > r.lo:
            ax.vlines(r.period_end, r.lo, r.hi, color=colour, linewidth=3, alpha=0.55)
        ax.plot(r.period_end, r.mid, marker=marker, color=colour, markersize=6,
                markeredgecolor="white", markeredgewidth=0.6, linestyle="")
        near = any(abs((r.period_end - d).days) < 40 and abs(math.log10(r.mid / m)) < 0.06
                   for d, m in placed)
        placed.append((r.period_end, r.mid))
        ax.annotate(r.estimate_id, (r.period_end, r.mid), xytext=(-5 if near else 5, 0),
                    ha="right" if near else "left", textcoords="offset points", fontsize=6.5,
                    va="center", color="#333333", path_effects=LABEL_HALO)
    # room left of the earliest estimate for an id written on its left
    ax.set_xlim(left=ladder["period_end"].min() - pd.Timedelta(days=75))
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(thousands)
    ax.yaxis.set_minor_formatter(lambda *_: "")
    ax.set_ylabel("Persons, trips, permits or claims (log scale)")
    ax.set_xlabel("Date the estimate refers to (labels: ids in the register table)")
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    mark_dates(ax)
    _concept_legend(ax, ladder["concept"], loc="upper left", bbox_to_anchor=(0, -0.16), ncol=3)


def host_chart_data(figures: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Per-country figures for the dot chart: one value per figure and whether our estimate uses it."""
    df = figures.copy()
    df["value"] = df["central"].fillna(df[["low", "high"]].mean(axis=1)).astype(float)
    df["used_in_estimate"] = df["estimate_id"].isin(set(chosen["estimate_id"]))
    cols = ["geography", "estimate_id", "estimator", "period_end", "concept", "unit", "low",
            "central", "high", "value", "used_in_estimate", "citation_key"]
    return df[cols].reset_index(drop=True)


def plot_hosts(ax, data: pd.DataFrame, names: dict) -> None:
    """One row per host country, every figure a marker (log scale), ranges as bars; the figure
    our estimate uses is ringed in black. Rows sorted by the largest figure of people abroad."""
    from ..plotting import thousands

    stock = data[data["concept"] == STOCK].groupby("geography")["value"].max()
    order = sorted(data["geography"].unique(), key=lambda g: (stock.get(g, 0), g))
    ypos = {g: i for i, g in enumerate(order)}
    concepts = list(CONCEPTS)
    offsets = {c: (i - (len(concepts) - 1) / 2) * 0.09 for i, c in enumerate(concepts)}
    for r in data.itertuples():
        y = ypos[r.geography] + offsets[r.concept]
        colour = CONCEPT_COLOURS[r.concept]
        lo = min(v for v in (r.low, r.central, r.high, r.value) if pd.notna(v))
        hi = max(v for v in (r.low, r.central, r.high, r.value) if pd.notna(v))
        if hi > lo:
            ax.hlines(y, lo, hi, color=colour, linewidth=2.5, alpha=0.5)
        ax.plot(r.value, y, marker=CONCEPT_MARKERS[r.concept], color=colour, linestyle="",
                markersize=7 if r.used_in_estimate else 5.5,
                markeredgecolor="black" if r.used_in_estimate else "white",
                markeredgewidth=1.4 if r.used_in_estimate else 0.5, zorder=3)
    ax.set_yticks(range(len(order)), [names.get(g, g) for g in order])
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(thousands)
    ax.xaxis.set_minor_formatter(lambda *_: "")
    ax.grid(axis="x", color="#d9d9d9", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Persons, trips, permits or claims (log scale); ringed: used in our estimate")
    _concept_legend(ax, data["concept"], loc="upper left", bbox_to_anchor=(-0.3, -0.1), ncol=2)


def _label_hosts(ax, projected, values, hosts, xlim, ylim) -> None:
    """ISO3 labels on the host countries inside the panel; small countries get their label to
    the west with a leader line, stacked so labels do not overlap."""
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    small = []
    for iso in hosts:
        if iso not in projected:
            continue
        ring = max(projected[iso], key=len)
        cx, cy = ring.mean(axis=0)
        if not (xlim[0] < cx < xlim[1] and ylim[0] < cy < ylim[1]):
            continue
        span = ring.max(axis=0) - ring.min(axis=0)
        if span[0] < 0.1 * width:
            small.append((cy, cx, iso))
            continue
        dark = iso in values and value_bin(values[iso]) >= 3
        ax.text(cx, cy, iso, ha="center", va="center", fontsize=6.5,
                color="white" if dark else "black")
    from ..plotting import LABEL_HALO

    mid = (xlim[0] + xlim[1]) / 2
    for east in (False, True):
        last_y = math.inf
        for cy, cx, iso in sorted((t for t in small if (t[1] > mid) == east), reverse=True):
            ty = min(cy, last_y - 0.06 * height)
            last_y = ty
            dx = 0.1 * width if east else -0.1 * width
            ax.annotate(iso, (cx, cy), xytext=(cx + dx, ty), fontsize=6.5,
                        ha="left" if east else "right", va="center", path_effects=LABEL_HALO,
                        arrowprops={"arrowstyle": "-", "color": "#333333", "linewidth": 0.5})


def _box_limits(lon_range, lat_range):
    """Projected x/y limits of a lon/lat box (edges sampled, since meridians curve)."""
    lons = np.linspace(lon_range[0], lon_range[1], 25)
    lats = np.linspace(lat_range[0], lat_range[1], 25)
    edge_lon = np.concatenate([lons, lons, np.full(25, lon_range[0]), np.full(25, lon_range[1])])
    edge_lat = np.concatenate([np.full(25, lat_range[0]), np.full(25, lat_range[1]), lats, lats])
    x, y = equal_earth(edge_lon, edge_lat)
    return (x.min(), x.max()), (y.min(), y.max())


def plot_map(fig, geo: dict, values: dict[str, float], hosts, names: dict | None = None) -> None:
    """World map (Equal Earth) of people still abroad per host country, in classes, beside an
    enlarged panel of Europe and the Caucasus where several host countries are small."""
    import matplotlib.colors as mcolors
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch, Rectangle

    names = names or {}
    rings = country_rings(geo)
    cmap = mcolors.ListedColormap(["#c6dbef", "#9ecae1", "#6baed6", "#2171b5", "#08306b"])
    projected = {iso: [np.column_stack(equal_earth(r[:, 0], r[:, 1])) for r in polys]
                 for iso, polys in rings.items()}

    def face(iso):
        if iso in values:
            return cmap(value_bin(values[iso]))
        if iso == "RUS":
            return "#8c8c8c"
        return "white" if iso in hosts else "#ececec"

    def draw(ax, lon_range, lat_range, edge, label=False):
        for group in (False, True):  # hosts drawn last so their outlines stay on top
            isos = [i for i in projected if (i in hosts) == group]
            verts = [v for i in isos for v in projected[i]]
            faces = [face(i) for i in isos for _ in projected[i]]
            ax.add_collection(PolyCollection(verts, facecolors=faces,
                                             edgecolors="#555555" if group else "white",
                                             linewidths=edge * (1.6 if group else 1)))
        (x0, x1), (y0, y1) = _box_limits(lon_range, lat_range)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", anchor="S")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if label:
            _label_hosts(ax, projected, values, hosts, (x0, x1), (y0, y1))

    # The legend and the source line take a fixed 0.75 in at the bottom; the panels keep their
    # shape (equal-area) and sit right above the legend.
    height = fig.get_figheight()
    gs = fig.add_gridspec(1, 2, width_ratios=(1.55, 1), left=0.0, right=1.0,
                          bottom=0.75 / height, top=0.99, wspace=0.03)
    world = fig.add_subplot(gs[0])
    draw(world, (-180, 180), (-56, 84), 0.2)
    for s in world.spines.values():
        s.set_visible(False)
    zoom = fig.add_subplot(gs[1])
    draw(zoom, (-10, 62), (28, 62), 0.35, label=True)
    for s in zoom.spines.values():
        s.set_visible(True)
        s.set_color("#7a7a7a")
    (zx0, zx1), (zy0, zy1) = _box_limits((-10, 62), (28, 62))
    world.add_patch(Rectangle(
        (zx0, zy0), zx1 - zx0, zy1 - zy0, fill=False, edgecolor="#7a7a7a", linewidth=0.7))
    handles = [Patch(facecolor=cmap(i), label=lab) for i, lab in enumerate(bin_labels())]
    handles += [Patch(facecolor="white", edgecolor="#555555", label="host, no figure"),
                Patch(facecolor="#8c8c8c", label="Russia (origin)")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.12 / height), ncol=4,
               fontsize=7.5, title="People still abroad (persons)", title_fontsize=8)


def plot_permits(ax, permits: pd.DataFrame, names: dict) -> None:
    """First residence permits per year and country, one line each, labelled at its last year."""
    from matplotlib.ticker import MaxNLocator

    from ..plotting import PALETTE, mark_dates, thousands

    last = permits.sort_values("year").groupby("geo_iso3").tail(1).sort_values("value")
    ends, prev = {}, -1e9
    span = permits["value"].max()
    for r in last.itertuples():  # nudge end labels apart
        y = max(r.value, prev + span * 0.045)
        ends[r.geo_iso3], prev = y, y
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(sorted(permits["geo_iso3"].unique()))}
    styles = ["-", "--"]
    for i, (g, d) in enumerate(permits.groupby("geo_iso3")):
        ax.plot(d["year"], d["value"], color=colours[g], linewidth=1.6,
                linestyle=styles[i // len(PALETTE)])
        lx = d["year"].max()
        ax.annotate(names.get(g, g), (lx, ends[g]), xytext=(4, 0), textcoords="offset points",
                    fontsize=7.5, va="center", color=colours[g])
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylabel("First residence permits issued in the year")
    ax.set_xlabel("Year")
    ax.set_xlim(permits["year"].min() - 0.3, permits["year"].max() + 2.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, None)
    mark_dates(ax, keys=("invasion",), as_year=True)


def plot_claims(ax, claims: pd.DataFrame) -> None:
    """New asylum applications by Russians per year: persons and cases as separate bars."""
    from ..plotting import PALETTE, mark_dates, thousands

    w = 0.4
    ax.bar(claims["year"] - w / 2, claims["persons"].fillna(0), width=w, color=PALETTE[0],
           label="persons")
    ax.bar(claims["year"] + w / 2, claims["cases"].fillna(0), width=w, color=PALETTE[1],
           label="cases (a case may hold several persons)")
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylabel("New asylum applications")
    ax.set_xlabel("Year")
    ax.set_xticks(claims["year"])
    ax.tick_params(axis="x", labelrotation=0)
    ax.legend(loc="upper left")
    mark_dates(ax, keys=("invasion",), as_year=True, label=False)


def plot_sensitivity(ax, sens: pd.DataFrame, central: float) -> None:
    """Tornado chart: for each assumption, the central total at its two ends."""
    from ..plotting import PALETTE, thousands

    for i, r in enumerate(sens.itertuples()):
        ax.barh(i, r.high_total - r.base, left=r.base, color=PALETTE[0], height=0.55)
        ax.barh(i, r.low_total - r.base, left=r.base, color=PALETTE[1], height=0.55)
        ax.annotate(r.low_case, (r.low_total, i), xytext=(-4, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=7.5)
        ax.annotate(r.high_case, (r.high_total, i), xytext=(4, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=7.5)
    ax.axvline(central, color="black", linewidth=0.9)
    ax.set_yticks(range(len(sens)), sens["assumption"])
    ax.xaxis.set_major_formatter(thousands)
    ax.grid(axis="x", color="#d9d9d9", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    lo = sens["low_total"].min()
    hi = sens["high_total"].max()
    pad = (hi - lo) * 0.25 + 1
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel("Central estimate of people still abroad (persons); line: default assumptions")


# ---------------------------------------------------------------- loading


ESTIMATE_COLUMNS = ["estimate_id", "estimator", "estimator_type", "date_published", "period_start",
                    "period_end", "geography", "concept", "low", "central", "high", "unit",
                    "method", "figure_as_published", "citation_key", "grade", "note"]


def load_estimates() -> tuple[pd.DataFrame, bool]:
    """The curated register (``estimates.csv``) and whether it exists; an empty table of the
    contract's columns when it does not, so the chapter still runs and says so."""
    from ..data import load
    from ..paths import CURATED

    if not (CURATED / "estimates.csv").is_file():
        empty = pd.DataFrame({c: pd.Series(dtype="string") for c in ESTIMATE_COLUMNS})
        for c in ("date_published", "period_start", "period_end"):
            empty[c] = pd.Series(dtype="datetime64[us]")
        for c in ("low", "central", "high"):
            empty[c] = pd.Series(dtype="Float64")
        return empty, False
    df = load("estimates")
    for c in ("low", "central", "high"):
        df[c] = df[c].astype("Float64")
    return df, True


def load_conflicts() -> pd.DataFrame:
    """Conflicts between sources: ``conflicts.csv`` (validated) plus any curated
    ``conflicts-*.csv`` fragment not yet merged into it (read as text), one row per id."""
    from ..data import load
    from ..paths import CURATED

    parts = []
    if (CURATED / "conflicts.csv").is_file():
        parts.append(load("conflicts").astype("string"))
    parts += [pd.read_csv(p, dtype="string") for p in sorted(CURATED.glob("conflicts-*.csv"))]
    cols = ["conflict_id", "topic", "table", "row_ids", "claim_a", "source_a", "claim_b",
            "source_b", "likely_reason", "treatment"]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    return pd.concat(parts, ignore_index=True).drop_duplicates("conflict_id", keep="first") \
        .sort_values("conflict_id").reset_index(drop=True)


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



def long_date(value) -> str:
    """'30 June 2023' (the report's date style in prose)."""
    ts = _ts(value)
    return f"{ts.day} {ts.strftime('%B %Y')}"
