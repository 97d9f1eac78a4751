"""Key findings for the preface, computed from the data at build time.

The preface (``index.qmd``) quotes these numbers through Quarto's ``{{< var findings.… >}}``
shortcode; the build writes them into ``_variables.yml`` next to the edition and the parameters
used. Nothing here is typed in: each value is derived from a processed or curated table, and each
comes with the table it was computed from.
"""

from __future__ import annotations

import pandas as pd

from .data import load

INVASION = pd.Timestamp("2022-02-24")


def _fmt_int(n) -> str:
    return f"{int(n):,}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def register_findings() -> dict:
    fa = load("foreign_agents_events")
    des = fa[fa["event"] == "designation"]
    rem = fa[fa["event"] == "removal"]
    total = int(des["count"].sum())
    after = int(des.loc[pd.to_datetime(des["date"]) >= INVASION, "count"].sum())
    last = pd.to_datetime(fa["date"]).max()
    ud = load("undesirable_designations")
    ud_total = int(ud["count"].sum())
    ud_after = int(ud.loc[pd.to_datetime(ud["date"]) >= INVASION, "count"].sum())
    return {
        "fa_entries": _fmt_int(total),
        "fa_removed": _fmt_int(rem["count"].sum()),
        "fa_after_invasion": _fmt_int(after),
        "fa_share_after_invasion": _pct(after / total),
        "fa_last_date": last.strftime("%-d %B %Y"),
        "undesirable_total": _fmt_int(ud_total),
        "undesirable_after_invasion": _fmt_int(ud_after),
        "undesirable_last_date": pd.to_datetime(ud["date"]).max().strftime("%-d %B %Y"),
    }


def asylum_findings() -> dict:
    apps = load("unhcr_applications")
    new_p = apps[(apps["origin_iso3"] == "RUS") & (apps["app_type"] == "N") & (apps["app_pc"] == "P")]
    by_year = new_p.groupby("year")["applied"].sum()
    peak_year = int(by_year.idxmax())
    pop = load("unhcr_population_origin_year")
    rus = pop[pop["origin_iso3"] == "RUS"].set_index("year")
    latest = int(rus.index.max())
    stock = rus["refugees"].fillna(0) + rus["asylum_seekers"].fillna(0)
    return {
        "rus_new_apps_2021": _fmt_int(by_year.get(2021, 0)),
        "rus_new_apps_peak": _fmt_int(by_year[peak_year]),
        "rus_new_apps_peak_year": str(peak_year),
        "rus_new_apps_ratio": f"{by_year[peak_year] / by_year.get(2021, float('nan')):.1f}",
        "rus_stock_latest_year": str(latest),
        "rus_stock_latest": _fmt_int(stock[latest]),
        "rus_stock_2021": _fmt_int(stock.get(2021, 0)),
    }


def compute() -> dict:
    """All findings as text, keyed for ``{{< var findings.<key> >}}``."""
    out: dict = {}
    out.update(register_findings())
    out.update(asylum_findings())
    return out
