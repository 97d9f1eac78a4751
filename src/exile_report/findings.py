"""Key findings for the preface, computed from the data at build time.

The preface (``index.qmd``) quotes these numbers through Quarto's ``{{< var findings.… >}}``
shortcode; the build writes them into ``_variables.yml`` next to the edition and the parameters
used. Nothing here is typed in or computed a second way: each value comes from the same
function of :mod:`exile_report.analysis` that the chapter quoting it uses, and is written with
:mod:`exile_report.prose`, so the preface and the chapters cannot disagree.
"""

from __future__ import annotations

from .analysis import history, scale
from .analysis import host_states as hs
from .coverage import coverage_markdown, edition_cutoff, table_until
from .data import load
from .prose import INVASION, date, num, pct


def register_findings() -> dict:
    """The two registers' totals, as chapter 1 states them (@sec-history-machinery)."""
    fa = history.register_summary(load("foreign_agents_per_date"))
    ud = history.undesirable_summary(load("undesirable_designations"))
    return {
        "fa_entries": num(fa["total"]),
        "fa_removed": num(fa["removed"]),
        "fa_after_invasion": num(fa["after"]),
        "fa_share_after_invasion": pct(fa["share_after"]),
        "fa_last_date": date(table_until("foreign_agents_per_date")),  # as chapter 1 states it
        "undesirable_total": num(ud["total"]),
        "undesirable_after_invasion": num(ud["after"]),
        "undesirable_last_date": date(table_until("undesirable_designations")),  # as chapter 1
    }


def asylum_findings() -> dict:
    """New asylum applications by Russian citizens (persons, all years of the data, as chapter 2
    counts them) and UNHCR's end-year stock of Russian origin (as chapter 1 counts it)."""
    apps = load("unhcr_applications")
    claims = scale.asylum_claims(
        apps, f"{int(apps['year'].max())}-12-31", start_year=int(apps["year"].min())
    )
    by_year = claims.set_index("year")["persons"].dropna()
    peak_year = int(by_year.idxmax())
    stock = history.unhcr_series(load("unhcr_population_origin_year"), 0, 9999).set_index("year")
    latest = int(stock.index.max())
    return {
        "rus_new_apps_2021": num(by_year.get(2021, 0)),
        "rus_new_apps_peak": num(by_year[peak_year]),
        "rus_new_apps_peak_year": str(peak_year),
        "rus_new_apps_ratio": num(by_year[peak_year] / by_year.get(2021, float("nan")), 1),
        "rus_stock_latest_year": str(latest),
        "rus_stock_latest": num(stock.loc[latest, "total"]),
        "rus_stock_2021": num(stock["total"].get(2021, 0)),
    }


def headcount_findings() -> dict:
    """The size of the exodus as chapter 2 states it (:func:`exile_report.analysis.scale.headline`
    with the chapter's defaults): a range, what it counts and the date it refers to."""
    h = scale.headline()
    return {
        "headcount_range": h.range_text(),
        "headcount_low": num(h.low),
        "headcount_central": num(h.central),
        "headcount_high": num(h.high),
        "headcount_concept": h.concept,
        "headcount_as_of": date(h.as_of, "month"),
        "headcount_low_basis": h.bounds["low"].basis,
        "headcount_high_basis": h.bounds["high"].basis,
    }


def _one_measure(policies, jurisdiction: str, measure_type: str, direction: str):
    rows = policies[
        (policies["jurisdiction"] == jurisdiction)
        & (policies["measure_type"] == measure_type)
        & (policies["direction"] == direction)
    ]
    if len(rows) != 1:
        raise ValueError(
            f"data/curated/policies.csv: expected one {direction} {measure_type} measure of "
            f"{jurisdiction}, found {len(rows)}"
        )
    return rows.iloc[0]


def host_findings() -> dict:
    """Germany's humanitarian admission (its start and the day it stopped) and France's
    asylum-court line on mobilisation (its start, and whether it is in force at the edition's
    cut-off, else an error: the preface says it holds), from the policies database chapter 3
    draws on."""
    policies = load("policies")
    status = hs.status_as_of(policies, edition_cutoff())
    deu = _one_measure(policies, "DEU", "humanitarian-visa", "facilitating")
    fra = _one_measure(policies, "FRA", "asylum-practice", "facilitating")
    if status[fra.name] != "in force":  # the preface says it holds ("has held since")
        raise ValueError(
            f"data/curated/policies.csv: {fra['policy_id']} is {status[fra.name]} at the edition's "
            "cut-off, but the preface's key findings say it holds: update index.qmd"
        )
    return {
        "deu_humanitarian_from": date(deu["date_in_force"], deu["date_in_force_precision"]),
        "deu_humanitarian_ended": date(deu["date_ended"], deu["date_ended_precision"]),
        "deu_humanitarian_cite": hs.cite_rows(policies, deu["policy_id"]),
        "fra_asylum_court_from": date(fra["date_in_force"], fra["date_in_force_precision"]),
        "fra_asylum_court_cite": hs.cite_rows(policies, fra["policy_id"]),
    }


def compute() -> dict:
    """All findings as text, keyed for ``{{< var findings.<key> >}}``."""
    out: dict = {"invasion_date": date(INVASION)}
    out.update(register_findings())
    out.update(asylum_findings())
    out.update(headcount_findings())
    out.update(host_findings())
    out["coverage"] = coverage_markdown("index")
    return out
