"""Chapter 2, the scale of the exodus: parameters and computations (its figures are drawn by
:mod:`exile_report.analysis.scale_figures`).

The published figures on the post-2022 exodus disagree mostly because they count different
things: people who left (departures), people who left and are still abroad (a stock), trips across
a border, residence permits granted, asylum claims lodged. This module keeps the concept of every
figure attached to it, and its one summing function (:func:`reconcile`) refuses to add figures of
different concepts or units. Everything here works on plain DataFrames following the column
contract of ``estimates.csv`` so it can be tested on small hand-made tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..params import Param
from ..prose import cite, num, pct

PARAMETERS = [
    Param(
        "as_of",
        "date",
        "Date of our estimate: only figures referring to dates up to it are used.",
        default="2024-12-31",
    ),
    Param(
        "return_rate",
        "list[float]",
        "Low and high share of leavers who have returned.",
        minimum=0.0,
        maximum=1.0,
        length=2,
        default=[0.1, 0.3],
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
#: The concept our own estimate sums; the only one that answers "how many are abroad now".
STOCK = "stock-abroad"
GRADE_ORDER = {"A": 0, "B": 1, "C": 2}


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
            problems.append(
                f"source_choice[{host!r}] = {eid!r} is in neither estimates.csv nor "
                "press_figures.csv"
            )
    return problems


def _known_ids() -> set[str]:
    """Ids of the curated estimates and press figures (read as text: this runs before any
    notebook, when a parameter is checked)."""
    from ..paths import CURATED, PROCESSED

    ids: set[str] = set()
    for path, col in (
        (CURATED / "estimates.csv", "estimate_id"),
        (PROCESSED / "press_figures.csv", "figure_id"),
    ):
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
    """Worldwide estimates that are counts (not shares), as ranges for the ladder chart."""
    df = reg[(reg["geography"] == "WLD") & (reg["unit"] != "share")].copy()
    df["lo"] = df[["low", "central", "high"]].min(axis=1)
    df["hi"] = df[["low", "central", "high"]].max(axis=1)
    df["mid"] = df["central"].fillna((df["lo"] + df["hi"]) / 2)
    cols = [
        "estimate_id",
        "estimator",
        "period_end",
        "concept",
        "unit",
        "low",
        "central",
        "high",
        "lo",
        "mid",
        "hi",
        "citation_key",
    ]
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
        return {
            "low": 0.0,
            "central": 0.0,
            "high": 0.0,
            "sum_low": 0.0,
            "sum_central": 0.0,
            "sum_high": 0.0,
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
    s_lo, s_mid, s_hi = (float(rows[c].sum()) for c in ("low", "central", "high"))
    return {
        "low": s_lo * (1 - r_high),
        "central": s_mid * (1 - (r_low + r_high) / 2),
        "high": s_hi * (1 - r_low),
        "sum_low": s_lo,
        "sum_central": s_mid,
        "sum_high": s_hi,
        "n": len(rows),
        "rows": rows,
    }


def sensitivity(
    figures: pd.DataFrame,
    hosts,
    source_choice: dict,
    return_rate,
    earlier: pd.DataFrame | None = None,
    earlier_label: str = "",
    names: dict | None = None,
) -> pd.DataFrame:
    """How the central total moves when one assumption changes at a time.

    Rows: the return rate at its low and at its high end (instead of the midpoint); for each
    host with more than one figure of people still abroad, its lowest and its highest figure; with
    ``earlier`` (the host figures as of an earlier date), the total at that date. Columns:
    ``assumption``, ``low_total``, ``high_total``, ``low_case``, ``high_case``, ``base``.
    """
    chosen, _ = choose_sources(figures, hosts, source_choice)
    base = reconcile(chosen, return_rate)["central"]
    r_low, r_high = return_rate
    rows = [
        {
            "assumption": "Return rate",
            "low_total": reconcile(chosen, (r_high, r_high))["central"],
            "high_total": reconcile(chosen, (r_low, r_low))["central"],
            "low_case": f"{r_high:.0%} returned",
            "high_case": f"{r_low:.0%} returned",
        }
    ]
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
        rows.append(
            {
                "assumption": f"Source for {names.get(host, host) if names else host}",
                "low_total": totals["low"],
                "high_total": totals["high"],
                "low_case": lo_id,
                "high_case": hi_id,
            }
        )
    if earlier is not None:
        keep = {h: e for h, e in source_choice.items() if e in set(earlier["estimate_id"])}
        alt, _ = choose_sources(earlier, hosts, keep)
        total = reconcile(alt, return_rate)["central"]
        rows.append(
            {
                "assumption": "Date one year earlier",
                "low_total": min(total, base),
                "high_total": max(total, base),
                "low_case": earlier_label if total <= base else "as of",
                "high_case": "as of" if total <= base else earlier_label,
            }
        )
    out = pd.DataFrame(rows)
    out["base"] = base
    out["swing"] = out["high_total"] - out["low_total"]
    return out.sort_values("swing", ascending=True, kind="stable").reset_index(drop=True)


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
    cols = [
        "geography",
        "estimate_id",
        "estimator",
        "period_end",
        "concept",
        "unit",
        "low",
        "central",
        "high",
        "value",
        "used_in_estimate",
        "citation_key",
    ]
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
