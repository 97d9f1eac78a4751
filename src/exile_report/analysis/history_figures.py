"""Chapter 1's figures: the timeline, the registers with their legal steps, the wave sizes and
UNHCR's long series. Drawing only: every number comes from :mod:`exile_report.analysis.history`;
each function returns the matplotlib figure for ``plotting.save_figure``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .history import CATEGORY_LABELS, WAVES, wave_spans, year_fraction

# ------------------------------------------------------------------------------------ charts
# The chapter's figures are drawn here (not in the notebook) so the notebook stays thin and the
# drawing code is importable and testable; each function returns the matplotlib figure.

#: Marker per event category, as matplotlib keywords: colour and shape both differ, so print in
#: grey still separates them.
CATEGORY_STYLE = {
    "expulsion": {"color": "#D55E00", "marker": "v"},
    "emigration-wave": {"color": "#0072B2", "marker": "o"},
    "law": {"color": "#009E73", "marker": "s"},
    "repression": {"color": "#000000", "marker": "X"},
    "war": {"color": "#CC79A7", "marker": "D"},
    "exile-institution": {"color": "#E69F00", "marker": "^"},
    "designation": {"color": "#56B4E9", "marker": "P"},
}
#: Which events get a text label first when space is short (the rest keep their marker).
LABEL_PRIORITY = (
    "expulsion",
    "war",
    "emigration-wave",
    "law",
    "repression",
    "designation",
    "exile-institution",
)
TIMELINE_SPLITS = (1991, 2022)
_BAND = "#ececec"
_INK = "#333333"


def timeline_ranges(start_year: int, end_year: int, splits=TIMELINE_SPLITS) -> list[tuple]:
    """Year ranges of the timeline's stacked panels: [start, end] cut at each split year inside it.

    Two centuries on one axis squeeze the dense recent years into a sliver; cutting at 1991 and
    2022 gives the post-Soviet decades and the war years each a full-width panel of their own.
    """
    cuts = [s for s in splits if start_year < s <= end_year]
    edges = [start_year, *cuts, end_year + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(len(edges) - 1)]


@lru_cache(maxsize=4096)
def _text_points(text: str, fontsize: float, weight: str) -> float:
    """Width of a text in points, from the house font's glyph advances (cached: it is slow)."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties, get_font

    prop = FontProperties(family="DejaVu Sans", weight=weight)
    font = get_font(font_manager.findfont(prop))
    font.set_size(fontsize, 72)
    font.set_text(text, 0.0)
    return font.get_width_height()[0] / 64.0


def _text_width_years(
    text: str, fontsize: float, years_per_inch: float, weight: str = "normal"
) -> float:
    """Width of a label in axis years, measured on the glyphs of the house font."""
    return _text_points(text, fontsize, weight) / 72 * years_per_inch


def choose_labels(
    xs: list[float],
    texts: list[str],
    priorities: list[int],
    width_of,
    rows: int = 2,
    gap: float = 0.0,
    bounds: tuple[float, float] | None = None,
) -> dict[int, tuple[int, float]]:
    """Greedy, sparse labelling: index -> (row, centre x) for the labels that fit.

    Labels are tried in priority order; each is centred on its x (pushed inside ``bounds`` when it
    would stick out) and placed in the first row where it overlaps no label already placed.
    Labels that fit nowhere are left out (their marker stays), which keeps dense stretches readable.
    """
    placed: dict[int, list[tuple[float, float]]] = {r: [] for r in range(rows)}
    chosen: dict[int, tuple[int, float]] = {}
    for i in sorted(range(len(xs)), key=lambda k: (priorities[k], xs[k])):
        half = width_of(texts[i]) / 2
        centre = xs[i]
        if bounds is not None:
            centre = min(max(centre, bounds[0] + half), bounds[1] - half)
        lo, hi = centre - half - gap, centre + half + gap
        for r in range(rows):
            if all(hi <= a or lo >= b for a, b in placed[r]):
                placed[r].append((lo, hi))
                chosen[i] = (r, centre)
                break
    return chosen


def plot_timeline(events: pd.DataFrame, start_year: int, end_year: int):
    """Waves as grey bands, events as category markers, sparse labels; one panel per era."""
    from matplotlib.lines import Line2D

    from ..plotting import new_figure

    ranges = timeline_ranges(start_year, end_year)
    x_all = events["date"].map(year_fraction)
    x_end_all = events["end_date"].fillna(events["date"]).map(year_fraction)
    lanes_per_panel = []
    for lo, hi in ranges:
        inside = (x_end_all >= lo) & (x_all < hi + 1)
        waves = [w for w in WAVES if w in set(events.loc[inside, "wave"])]
        lanes_per_panel.append(waves)
    heights = [max(len(w), 1) * 0.74 + 0.4 for w in lanes_per_panel]
    fig, axes = new_figure(
        height=sum(heights) + 0.75, nrows=len(ranges), gridspec_kw={"height_ratios": heights}
    )
    axes = np.atleast_1d(axes)
    spans = wave_spans(events).set_index("wave")
    for ax, (lo, hi), waves in zip(axes, ranges, lanes_per_panel):
        right = hi + 1
        pad = (right - lo) * 0.01
        ax.set_xlim(lo - pad, right + pad)
        ax.grid(False)
        ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.5)
        ax.spines["left"].set_visible(False)
        ax.set_yticks([])
        n = len(waves)
        ax.set_ylim(-0.75, max(n, 1) - 0.2)
        width_in = 6.4
        years_per_inch = (right - lo + 2 * pad) / width_in
        if right - lo <= 6:  # the war years: months matter, show each year
            ax.set_xticks(range(lo, right + 1))
        for lane, wave in enumerate(waves):
            y = n - 1 - lane
            s = spans.loc[wave]
            a = max(year_fraction(s["start"]), lo - pad)
            b = min(year_fraction(s["end"]), right + pad)
            ax.fill_between(
                [a, max(b, a + 0.004 * (right - lo))],
                y - 0.13,
                y + 0.13,
                color=_BAND,
                linewidth=0,
                zorder=1,
            )
            name_w = _text_width_years(WAVES[wave], 8, years_per_inch, weight="bold")
            ax.text(
                min(max(a, lo - pad), right + pad - name_w),
                y + 0.2,
                WAVES[wave],
                fontsize=8,
                fontweight="bold",
                color=_INK,
                va="bottom",
                ha="left",
                zorder=4,
            )
            ev = events[(events["wave"] == wave)]
            ev = ev[
                (ev["end_date"].fillna(ev["date"]).map(year_fraction) >= lo)
                & (ev["date"].map(year_fraction) < right)
            ]
            xs = [year_fraction(d) for d in ev["date"]]
            for (_, row), x in zip(ev.iterrows(), xs):
                style = CATEGORY_STYLE[row["category"]]
                if pd.notna(row["end_date"]) and row["end_date"] > row["date"]:
                    ax.plot(
                        [x, min(year_fraction(row["end_date"]), right)],
                        [y, y],
                        color=style["color"],
                        linewidth=2.2,
                        solid_capstyle="butt",
                        zorder=2,
                        alpha=0.7,
                    )
                ax.plot(
                    [x],
                    [y],
                    **style,
                    markersize=6.5,
                    linestyle="none",
                    markeredgecolor="white",
                    markeredgewidth=0.6,
                    zorder=3,
                )
            texts = list(ev["title"])
            prio = [LABEL_PRIORITY.index(c) for c in ev["category"]]
            chosen = choose_labels(
                xs,
                texts,
                prio,
                lambda t, ypi=years_per_inch: _text_width_years(t, 7, ypi),
                rows=2,
                gap=0.1 * years_per_inch,
                bounds=(lo - pad, right + pad),
            )
            for i, (row_no, x) in chosen.items():
                ax.text(
                    x,
                    y - 0.2 - 0.25 * row_no,
                    texts[i],
                    fontsize=7,
                    color=_INK,
                    ha="center",
                    va="top",
                    zorder=4,
                )
        if n == 0:
            ax.text(
                0.5,
                0.5,
                "No events of the chosen categories in these years",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#6b6b6b",
            )
    handles = [
        Line2D(
            [],
            [],
            **style,
            linestyle="none",
            markersize=6.5,
            markeredgecolor="white",
            label=CATEGORY_LABELS[k],
        )
        for k, style in CATEGORY_STYLE.items()
        if k in set(events["category"])
    ]
    if handles:
        fig.legend(
            handles=handles,
            loc="outside upper center",
            ncol=min(len(handles), 4),
            fontsize=8,
            handletextpad=0.2,
            columnspacing=1.0,
        )
    return fig


def _legal_strip(ax, steps: pd.DataFrame, x0: float, x1: float, years_per_inch: float):
    """Legal steps as short labels in staggered rows above the charts, with their dates."""
    ax.set_xlim(x0, x1)
    ax.axis("off")
    # Bars are centred on their year, so a date inside year Y sits in [Y - 0.5, Y + 0.5).
    xs = [year_fraction(d) - 0.5 for d in steps["date"]]
    texts = [f"{t} ({d:%b %Y})" for t, d in zip(steps["title"], steps["date"])]
    chosen = choose_labels(
        xs,
        texts,
        [0] * len(xs),
        lambda t: _text_width_years(t, 7, years_per_inch),
        rows=6,
        gap=0.12 * years_per_inch,
        bounds=(x0, x1),
    )
    rows = max((r for r, _x in chosen.values()), default=0) + 1
    ax.set_ylim(-0.2, rows)
    # the horizontal extent of each label, to break the leader lines of higher rows around it
    spans = {
        i: (x_text - w / 2, x_text + w / 2, rows - 1 - row_no)
        for i, (row_no, x_text) in chosen.items()
        for w in [_text_width_years(texts[i], 7, years_per_inch)]
    }
    pad = 0.05 * years_per_inch
    for i, (row_no, x_text) in chosen.items():
        y = rows - 1 - row_no
        ax.text(x_text, y + 0.15, texts[i], fontsize=7, color=_INK, ha="center", va="bottom")
        gaps = sorted(
            (yj + 0.08, yj + 0.9)
            for j, (a, b, yj) in spans.items()
            if j != i and yj < y and a - pad <= xs[i] <= b + pad
        )
        start = -0.2
        for lo, hi in [*gaps, (y + 0.12, None)]:
            ax.plot(
                [xs[i], xs[i]],
                [start, lo],
                color="#6b6b6b",
                linewidth=0.7,
                linestyle=(0, (2, 2)),
            )
            start = hi
    return rows


#: Hatching of a partial year's bars (the snapshot's own year, not a full year of decisions).
PARTIAL_HATCH = "////"


def _bars(ax, years, values, bottom, partial, **style):
    """Bars of full years solid and of partial years hatched (lighter fill, same colour), so a
    year still in progress never reads as a fall."""
    values = np.asarray(values, dtype=float)
    partial = np.asarray(partial, dtype=bool)
    years = np.asarray(years)
    full = ~partial
    label = style.pop("label", None)
    ax.bar(years[full], values[full], bottom=bottom[full], label=label, **style)
    if partial.any():
        ax.bar(
            years[partial],
            values[partial],
            bottom=bottom[partial],
            hatch=PARTIAL_HATCH,
            edgecolor=style["color"],
            linewidth=0.6,
            **{**style, "color": "white"},
        )


def _mark_partial(ax, table: pd.DataFrame, top: pd.Series):
    """Write 'to 10 Jul' above each partial year's bar (the last day its data cover)."""
    for r, t in zip(table.itertuples(), top):
        if r.partial:
            ax.annotate(
                f"to {r.period_end:%-d %b}",
                xy=(r.year, t),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color=_INK,
            )


def plot_machinery(
    reg: pd.DataFrame,
    und: pd.DataFrame,
    steps: pd.DataFrame,
    fa_last: pd.Timestamp,
    ud_last: pd.Timestamp,
):
    """Foreign-agent designations (individuals and organisations, removals below zero) and
    undesirable designations per year, sharing one year axis, with the legal steps marked above
    and through both charts. ``reg`` and ``und`` are :func:`~.history.register_per_year` and
    :func:`~.history.undesirable_per_year`; a partial year is hatched and says up to when."""
    from matplotlib.patches import Patch

    from ..plotting import GREY, new_figure, thousands

    years = list(reg["year"])
    x0, x1 = years[0] - 0.6, years[-1] + 0.6
    years_per_inch = (x1 - x0) / 6.2
    n_steps = len(steps)
    strip = 0.45 + 0.2 * min(n_steps, 6) if n_steps else 0.01
    fig, (ax_s, ax_f, ax_u) = new_figure(
        height=2.9 + 1.8 + strip + 0.5,
        nrows=3,
        sharex=False,
        gridspec_kw={"height_ratios": [strip, 2.9, 1.8]},
    )
    if n_steps:
        _legal_strip(ax_s, steps, x0, x1, years_per_inch)
    else:
        ax_s.axis("off")
    partial = reg["partial"].to_numpy(dtype=bool)
    bottom = np.zeros(len(years))
    for column, label, color in (
        ("individuals", "Individuals", "#0072B2"),
        ("organisations", "Organisations and other entries", "#E69F00"),
    ):
        vals = reg[column].to_numpy(dtype=float)
        _bars(ax_f, years, vals, bottom, partial, color=color, width=0.75, label=label, zorder=2)
        bottom += vals
    _bars(
        ax_f,
        years,
        -reg["removals"].to_numpy(dtype=float),
        np.zeros(len(years)),
        partial,
        color="#9e9e9e",
        width=0.75,
        label="Removals (below zero)",
        zorder=2,
    )
    _mark_partial(ax_f, reg, reg["designations"])
    ax_f.axhline(0, color=_INK, linewidth=0.8)
    ax_f.set_ylabel("Register entries per year")
    ax_f.yaxis.set_major_formatter(lambda v, _p: thousands(abs(v)))
    ax_f.set_ylim(top=float(reg["designations"].max()) * 1.15 or 1)
    handles, labels = ax_f.get_legend_handles_labels()
    if partial.any() or und["partial"].any():
        handles.append(Patch(facecolor="white", edgecolor=_INK, hatch=PARTIAL_HATCH))
        labels.append("Year in progress at the snapshot (partial)")
    ax_f.legend(handles, labels, loc="upper left", ncol=2, fontsize=7.5)
    ax_f.set_title(
        f"Foreign agents: designations and removals (register as of {fa_last:%-d %b %Y})",
        fontsize=9,
    )
    _bars(
        ax_u,
        und["year"],
        und["designations"].to_numpy(dtype=float),
        np.zeros(len(und)),
        und["partial"].to_numpy(dtype=bool),
        color="#D55E00",
        width=0.75,
        zorder=2,
    )
    _mark_partial(ax_u, und, und["designations"])
    ax_u.set_ylim(top=float(und["designations"].max()) * 1.25 or 1)
    ax_u.set_ylabel("Organisations per year")
    ax_u.set_title(
        f"“Undesirable” organisations: designations (list as of {ud_last:%-d %b %Y})", fontsize=9
    )
    for ax in (ax_f, ax_u):
        ax.set_xlim(x0, x1)
        ax.set_xticks(years)
        ax.tick_params(axis="x", labelsize=7.5)
        for x in (year_fraction(d) - 0.5 for d in steps["date"]):
            ax.axvline(x, color=GREY, linewidth=0.7, linestyle=(0, (2, 2)), zorder=1)
    for ax, last in ((ax_f, fa_last), (ax_u, ud_last)):
        if last.year < years[-1]:
            ax.axvspan(last.year + 0.5, x1, color="#f2f2f2", zorder=0, linewidth=0)
            ax.text(
                (last.year + 0.5 + x1) / 2,
                0.5,
                "not in\nthe data",
                fontsize=7,
                color=GREY,
                ha="center",
                va="center",
                transform=ax.get_xaxis_transform(),
            )
    ax_u.set_xlabel("Year of the Ministry's decision")
    return fig


#: Width, in characters, at which the wave chart's row labels wrap (whole words, never cut).
LABEL_WRAP = 46

#: Markers of one-sided figures: an upper bound ("up to") points left, a lower bound ("more
#: than") points right, from the published figure.
BOUND_MARKERS = {"upper": "<", "lower": ">"}


def wrapped_label(text: str, width: int = LABEL_WRAP) -> str:
    """A row label wrapped onto lines of at most ``width`` characters, every word kept."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def plot_wave_estimates(est: pd.DataFrame):
    """Each published estimate as a low–high range, a dot for a single figure, or an arrow head
    for a bound ("up to" points left, "more than" points right), grouped by wave, coloured by
    confidence grade, on a log scale: waves differ by orders of magnitude. Row labels wrap."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator

    from ..plotting import new_figure

    labels = [wrapped_label(c) for c in est["concept"]]
    lines = [lab.count("\n") + 1 for lab in labels]
    heights = [max(1.0, 0.62 * k + 0.1) for k in lines]  # row height in units of one-line rows
    tops = np.cumsum([0.0, *heights[:-1]])
    total = float(sum(heights))
    ys = [total - t - h / 2 for t, h in zip(tops, heights)]
    fig, ax = new_figure(height=0.17 * total + 1.3)
    ax.grid(False)
    ax.grid(True, axis="x", which="major", color="#e4e4e4", linewidth=0.6)
    wave_rows: dict[str, list[tuple[float, float]]] = {}
    bounds = est["bound"] if "bound" in est else pd.Series("range", index=est.index)
    for (_, r), y, hgt, kind in zip(est.iterrows(), ys, heights, bounds):
        wave_rows.setdefault(r["wave"], []).append((y - hgt / 2, y + hgt / 2))
        lo, hi = r["low_shown"], r["high_shown"]
        color = GRADE_COLORS.get(r["grade"], "#6b6b6b")
        if kind in BOUND_MARKERS:
            ax.plot([lo], [y], marker=BOUND_MARKERS[kind], color=color, markersize=6, zorder=2)
        elif hi > lo:
            ax.plot([lo, hi], [y, y], color=color, linewidth=3.5, solid_capstyle="round", zorder=2)
        else:
            ax.plot([lo], [y], marker="o", color=color, markersize=5, zorder=2)
        if pd.notna(r["central"]) and hi > lo:
            ax.plot([r["central"]], [y], marker="|", color="black", markersize=8, zorder=3)
    for i, (wave, spans) in enumerate(wave_rows.items()):
        bottom, top = min(a for a, _b in spans), max(b for _a, b in spans)
        if i % 2 == 0:
            ax.axhspan(bottom, top, color="#f2f2f2", zorder=0, linewidth=0)
        ax.text(
            1.01,
            (bottom + top) / 2,
            wrapped_label(WAVES[wave], 20),
            transform=ax.get_yaxis_transform(),
            fontsize=7.5,
            fontweight="bold",
            va="center",
            ha="left",
            color=_INK,
        )
    ax.set_yticks(ys, labels, fontsize=7, linespacing=1.0)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(0, total)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(FuncFormatter(_short_number))
    ax.set_xlabel("Persons (log scale)")
    handles = [
        Line2D([], [], color=c, linewidth=3.5, label=f"grade {g}")
        for g, c in GRADE_COLORS.items()
        if g in set(est["grade"])
    ]
    handles += [
        Line2D([], [], color="#6b6b6b", marker="o", linestyle="none", label="single figure"),
        Line2D(
            [],
            [],
            color="black",
            marker="|",
            linestyle="none",
            markersize=8,
            label="central figure",
        ),
    ]
    names = {"upper": "upper bound (up to)", "lower": "lower bound (more than)"}
    handles += [
        Line2D([], [], color="#6b6b6b", marker=m, linestyle="none", label=names[k])
        for k, m in BOUND_MARKERS.items()
        if k in set(bounds)
    ]
    fig.legend(handles=handles, loc="outside upper center", ncol=4, fontsize=7.5)
    return fig


#: Confidence grades: A the producer's own figure, B an established secondary source, C weak (unverified).
GRADE_COLORS = {"A": "#0072B2", "B": "#E69F00", "C": "#999999"}


def _short_number(v, _pos=None) -> str:
    """1,000 -> '1k', 2,000,000 -> '2M' (log-axis ticks)."""
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def _axis_note(ax, x: float, y: float, text: str, color: str):
    """A small note at year ``x`` and height ``y`` (a fraction of the axes), left-aligned."""
    ax.text(
        x,
        y,
        text,
        transform=ax.get_xaxis_transform(),
        fontsize=7,
        color=color,
        ha="left",
        va="top",
    )


def plot_unhcr(
    series: pd.DataFrame,
    breaks: pd.DataFrame | None = None,
    asylum_seekers_from: int | None = None,
):
    """Refugees and asylum-seekers of Russian origin at each year's end, stacked, with the
    invasion marked, each reporting break (:func:`~.history.reporting_breaks`) drawn as a
    dotted line between its two years, and the years before asylum-seekers were reported
    shaded and labelled (no orange bar there means "not reported", not zero)."""
    from ..plotting import GREY, mark_dates, new_figure, thousands

    fig, ax = new_figure(height=3.8)
    ax.bar(
        series["year"], series["refugees"], width=0.8, color="#0072B2", label="Refugees", zorder=2
    )
    ax.bar(
        series["year"],
        series["asylum_seekers"].fillna(0).astype(float),
        bottom=series["refugees"],
        width=0.8,
        color="#E69F00",
        label="Asylum-seekers (pending cases)",
        zorder=2,
    )
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylim(0, float(series["total"].max()) * 1.18 or 1)  # room above the tallest bar
    ax.set_ylabel("People at year end")
    ax.set_xlabel("Year")
    first, last = int(series["year"].min()), int(series["year"].max())
    if asylum_seekers_from is not None and first < asylum_seekers_from:
        right = min(asylum_seekers_from, last + 1) - 0.5
        ax.axvspan(first - 0.5, right, color="#f2f2f2", zorder=0, linewidth=0)
        _axis_note(
            ax, first - 0.3, 0.97, f"asylum-seekers not reported before {asylum_seekers_from}", GREY
        )
    if breaks is not None:
        for i, b in enumerate(breaks.itertuples()):
            if not first < b.year <= last:
                continue
            x = b.year - 0.5
            ax.axvline(x, color=_INK, linewidth=0.8, linestyle=(0, (1, 1.5)), zorder=3)
            _axis_note(ax, x + 0.3, 0.88 - 0.09 * (i % 2), f"break: {b.asylum_iso3}", _INK)
    if first <= 2022 <= last:
        mark_dates(ax, ("invasion",), as_year=True)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.86), fontsize=7.5)
    return fig
