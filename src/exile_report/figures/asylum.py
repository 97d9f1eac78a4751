"""Chapter 4's figures, drawn from the tables :mod:`exile_report.analysis.asylum` computes.

Each function takes computed tables and returns a house-style figure; the chapter saves it with
its data and source line (:func:`exile_report.plotting.save_figure`). Persons and cases are drawn
as separate series, never added.
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from ..analysis.asylum import ORIGIN_NAMES, WAR_YEAR, destination_label, persons_lodged, short_name
from ..plotting import GREY, LIGHT_GREY, PALETTE, new_figure, thousands
from ..schemas import ORIGINS

#: One colour per origin, the same in every chart of the chapter.
ORIGIN_COLOURS = dict(zip(ORIGINS, PALETTE))


def _percent():
    return mticker.PercentFormatter(1.0, decimals=0)


def as_float(values):
    """Nullable numbers -> float with NaN, so matplotlib breaks lines at missing years."""
    return (
        pd.to_numeric(pd.Series(values), errors="coerce")
        .astype("Float64")
        .to_numpy(dtype=float, na_value=float("nan"))
    )


def mark_war(ax, *, end_of_year: bool = False, label: bool = True) -> None:
    """Mark 2022 (invasion in February, mobilisation in September) on a yearly axis.

    On a flow axis (a point per calendar year) the whole year 2022 is shaded; on a stock axis
    (a point per 31 December) the invasion falls between the 2021 and 2022 points.
    """
    if end_of_year:
        x = WAR_YEAR - 1 + 54 / 365  # 24 February, after the end-2021 point
        ax.axvline(x, color=GREY, linewidth=0.8, linestyle="--", zorder=0)
        text, xt = "Invasion", x
    else:
        ax.axvspan(
            WAR_YEAR - 0.5, WAR_YEAR + 0.5, color=LIGHT_GREY, alpha=0.6, zorder=0, linewidth=0
        )
        text, xt = "2022: invasion, mobilisation", WAR_YEAR - 0.5
    if label:
        ax.annotate(
            text,
            xy=(xt, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-3, -2),
            textcoords="offset points",
            fontsize=7.5,
            color=GREY,
            va="top",
            ha="right",
        )


def _war_in(start: int, end: int) -> bool:
    return start <= WAR_YEAR <= end


def _yearly_axis(ax, nbins: int | None = None) -> None:
    ax.set_xlabel("Year")
    kw = {"nbins": nbins} if nbins else {}
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True, **kw))


def applications(yearly: pd.DataFrame, name: str, start: int, end: int, data_end: int):
    """Line chart of one origin's applications per year (``yearly_applications``): new claims
    by persons, claims of unsplit type and new claims by cases as three series; the title names
    the years shown (the range, cut at the data's last year ``data_end``)."""
    fig, ax = new_figure(4.2)
    series = [
        ("new_persons", "New applications, persons", PALETTE[0], "-"),
        ("unsplit_persons", "Type not split (before 2006), persons", PALETTE[1], "-"),
        ("new_cases", "New applications, cases", PALETTE[2], "--"),
    ]
    for col, label, colour, style in series:
        s = yearly[["year", col]]
        if s[col].notna().any():
            ax.plot(
                s["year"].astype(int),
                as_float(s[col]),
                color=colour,
                linestyle=style,
                marker="o",
                markersize=3,
                label=label,
            )
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(thousands))
    ax.set_ylabel("Applications per year")
    ax.set_xlabel("Year")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    if _war_in(start, end):
        mark_war(ax)
    ax.legend(loc="upper left")
    ax.set_title(f"{name}: new asylum applications abroad, {start}–{min(end, data_end)}")
    return fig


def top_destinations(top: pd.DataFrame, name: str, top_n: int):
    """Heat map of the ``top_n`` destinations per year (``top_destinations``): shade = share of
    the year's applications by persons, ranks 1-3 written in their cells."""
    order = top.groupby("asylum_name")["applied"].sum().sort_values(ascending=False).index.tolist()
    years = sorted(top["year"].astype(int).unique())
    grid = np.full((len(order), len(years)), np.nan)
    ranks = {}
    for r in top.itertuples():
        i, j = order.index(r.asylum_name), years.index(int(r.year))
        grid[i, j] = r.share
        ranks[(i, j)] = int(r.rank)
    fig, ax = new_figure(max(2.4, 0.22 * len(order) + 1.1))
    im = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=max(0.5, np.nanmax(grid)))
    for (i, j), rk in ranks.items():
        if rk > 3:
            continue
        ax.text(
            j,
            i,
            str(rk),
            ha="center",
            va="center",
            fontsize=6.5,
            color="white" if grid[i, j] > 0.3 else "black",
        )
    ax.set_yticks(range(len(order)), [short_name(n) for n in order])
    step = 1 if len(years) <= 12 else 2
    ax.set_xticks(range(0, len(years), step), [str(y) for y in years][::step])
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(im, ax=ax, shrink=0.6, pad=0.01, aspect=25)
    cb.ax.yaxis.set_major_formatter(_percent())
    cb.set_label("Share of the year's applications (persons)", fontsize=8)
    ax.set_title(f"{name}: top {top_n} destinations per year (ranks 1–3 numbered)")
    return fig


def rates_by_destination(shown: pd.DataFrame, min_decisions: int):
    """Dot chart of the refugee-status and protection rates of the destinations ``shown`` (rows of
    ``decisions_by_destination``, largest first); rows below ``min_decisions`` are marked."""
    t = shown.iloc[::-1].reset_index(drop=True)
    fig, ax = new_figure(max(2.4, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))
    for i, r in t.iterrows():
        if pd.isna(r.protection_rate):
            ax.text(
                0.01,
                i,
                f"fewer than {min_decisions:,} substantive decisions",
                va="center",
                fontsize=7.5,
                color=GREY,
            )
            continue
        ax.plot(
            [r.refugee_rate, r.protection_rate], [i, i], color=LIGHT_GREY, linewidth=2, zorder=1
        )
    for column, color, zorder, label in (
        ("protection_rate", PALETTE[4], 2, "Protection rate (refugee status + complementary)"),
        ("refugee_rate", PALETTE[0], 3, "Refugee-status rate"),
    ):
        ax.scatter(t[column].astype(float), y, color=color, s=30, zorder=zorder, label=label)
    ax.set_yticks(y, destination_label(t))
    ax.set_xlim(-0.02, 1.02)
    for i, r in t.iterrows():
        ax.annotate(
            f"{int(r.substantive):,}",
            xy=(1, i),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color=GREY,
        )
    ax.annotate(
        "substantive\ndecisions",
        xy=(1, 1),
        xycoords="axes fraction",
        xytext=(4, 2),
        textcoords="offset points",
        va="bottom",
        fontsize=7,
        color=GREY,
    )
    ax.xaxis.set_major_formatter(_percent())
    ax.set_xlabel("Share of substantive first-instance decisions")
    ax.grid(axis="x", color=LIGHT_GREY, linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=8)
    return fig


def stock(stock: pd.DataFrame, origins, start: int, end: int, breaks: pd.DataFrame | None = None):
    """One panel per origin present in ``stock`` (``end_year_stock``): refugees and pending
    asylum-seekers at the end of each year, each panel on its own scale. ``breaks`` (rows of
    :func:`exile_report.analysis.history.reporting_breaks` with an ``origin_iso3`` column) are
    drawn as dotted lines between the two years of each break, named by the reporting country."""
    present = [o for o in origins if (stock.origin_iso3 == o).any()]
    fig, axes = new_figure(2.0 * len(present) + 0.7, nrows=len(present), sharex=True, squeeze=False)
    for ax, o in zip(axes[:, 0], present, strict=True):
        s = stock[stock.origin_iso3 == o]
        ax.plot(s.year.astype(int), as_float(s.refugees), color=PALETTE[0], label="Refugees")
        ax.plot(
            s.year.astype(int),
            as_float(s.asylum_seekers),
            color=PALETTE[3],
            label="Asylum-seekers (pending)",
        )
        ax.set_title(ORIGIN_NAMES[o], fontsize=9.5)
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(thousands))
        ax.set_ylim(bottom=0)
        ax.set_ylabel("Persons")
        if _war_in(start, end):
            mark_war(ax, end_of_year=True, label=ax is axes[0, 0])
        if breaks is not None:
            mine = breaks[(breaks.origin_iso3 == o) & breaks.year.between(start + 1, end)]
            for b in mine.itertuples():
                ax.axvline(b.year - 0.5, color=GREY, linewidth=0.8, linestyle=(0, (1, 1.5)))
                ax.annotate(
                    f"break: {b.asylum_iso3}",
                    xy=(b.year - 0.5, 1),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, -2),
                    textcoords="offset points",
                    fontsize=7,
                    color=GREY,
                    va="top",
                )
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center", ncols=2)
    axes[-1, 0].set_xlabel("End of year")
    axes[-1, 0].xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    return fig


def _rate_line(ax, years: pd.DataFrame, rates: pd.DataFrame, column: str, origin: str):
    """One origin's rate per year as a dotted line, on the years of ``years`` (a year with no
    rate leaves a gap): the right-hand panels of the origins and UK charts."""
    r = years[["year"]].merge(rates, on="year", how="left")
    ax.plot(
        r.year.astype(int),
        as_float(r[column]),
        color=ORIGIN_COLOURS[origin],
        marker="o",
        markersize=2.5,
    )


def origins_compared(by_origin: pd.DataFrame, rates: pd.DataFrame, origins, start: int, end: int):
    """Applications by persons per year on a log scale (left) and the first-instance protection
    rate (right), one line per origin (``applications_by_origin``, ``yearly_rates``)."""
    fig, (ax1, ax2) = new_figure(3.8, ncols=2)
    for o in origins:
        c = by_origin[by_origin.origin_iso3 == o]
        ax1.plot(
            c.year.astype(int),
            as_float(persons_lodged(c)),
            color=ORIGIN_COLOURS[o],
            label=ORIGIN_NAMES[o],
        )
        _rate_line(ax2, c, rates[rates.origin_iso3 == o], "protection_rate", o)
    ax1.set_yscale("log")
    ax1.yaxis.set_major_formatter(mticker.FuncFormatter(thousands))
    ax1.set_ylabel("Applications by persons (log scale)")
    ax2.set_ylim(0, 1)
    ax2.yaxis.set_major_formatter(_percent())
    ax2.set_ylabel("Protection rate, first instance")
    for ax in (ax1, ax2):
        _yearly_axis(ax, nbins=5)
        if _war_in(start, end):
            mark_war(ax, label=False)
    fig.legend(*ax1.get_legend_handles_labels(), loc="outside upper center", ncols=len(origins))
    return fig


def united_kingdom(uk_apps: pd.DataFrame, uk_rates: pd.DataFrame, origins):
    """Main applicants per year (left; a partial year as an open circle) and the initial grant
    rate (right), one line per nationality (``uk_yearly_applications``, ``uk_grant_rates``)."""
    fig, (ax1, ax2) = new_figure(3.8, ncols=2)
    present = [o for o in origins if (uk_apps.nationality_iso3 == o).any()]
    for o in present:
        s = uk_apps[uk_apps.nationality_iso3 == o]
        full, part = s[s.months_covered == 12], s[s.months_covered < 12]
        ax1.plot(
            full.year.astype(int),
            as_float(full.main_applicants),
            color=ORIGIN_COLOURS[o],
            marker="o",
            markersize=2.5,
            label=ORIGIN_NAMES[o],
        )
        ax1.plot(
            part.year.astype(int),
            as_float(part.main_applicants),
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor="white",
            markeredgecolor=ORIGIN_COLOURS[o],
        )
        _rate_line(ax2, s, uk_rates[uk_rates.nationality_iso3 == o], "grant_rate", o)
    partial = sorted(uk_apps.loc[uk_apps.months_covered < 12, "year"].astype(int).unique())
    ax1.set_ylabel("Applications, main applicants")
    ax1.yaxis.set_major_formatter(mticker.FuncFormatter(thousands))
    ax2.set_ylabel("Initial grant rate")
    ax2.set_ylim(0, 1)
    ax2.yaxis.set_major_formatter(_percent())
    for ax in (ax1, ax2):
        _yearly_axis(ax, nbins=5)
    if partial:
        ax1.set_xlabel(f"Year (open circle: {partial[-1]}, Jan–Sep only)")
    fig.legend(*ax1.get_legend_handles_labels(), loc="outside upper center", ncols=len(present))
    return fig
