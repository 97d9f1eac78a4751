"""Chapter 2's figures: the ladder of worldwide estimates, the host-country dot chart, the map,
permits, asylum claims and the sensitivity of our estimate. Drawing only: every number comes
from :mod:`exile_report.analysis.scale`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..maps import country_rings, equal_earth
from .scale import CONCEPTS, STOCK, ladder_marks

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
    "departures": "#0072B2",  # blue
    "stock-abroad": "#E69F00",  # orange
    "border-crossings": "#D55E00",  # vermillion
    "residence-permits": "#009E73",  # green
    "asylum-claims": "#CC79A7",  # purple
    "returns-share": "#56B4E9",  # sky
    "other": "#6b6b6b",  # grey
}
CONCEPT_MARKERS = {
    "departures": "o",
    "stock-abroad": "D",
    "border-crossings": "^",
    "residence-permits": "s",
    "asylum-claims": "v",
    "returns-share": "P",
    "other": "X",
}


def _concept_legend(ax, concepts, **kw):
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            color=CONCEPT_COLOURS[c],
            marker=CONCEPT_MARKERS[c],
            linestyle="",
            markersize=6,
            label=CONCEPTS[c],
        )
        for c in CONCEPTS
        if c in set(concepts)
    ]
    return ax.legend(handles=handles, **kw)


def placeholder(ax, message: str) -> None:
    """An empty chart that says why it is empty (a parameter selected nothing)."""
    ax.text(
        0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=10, wrap=True
    )
    ax.set_axis_off()


def plot_ladder(ax, ladder: pd.DataFrame) -> None:
    """Worldwide estimates against the date they refer to: a vertical bar from low to high, a
    marker at the central value, colour and marker by concept, log scale (trips dwarf persons)."""
    import matplotlib.dates as mdates

    from ..figure_layout import place_clear
    from ..plotting import LABEL_HALO, mark_dates, thousands

    placed: list = []
    labels: list = []
    for r in ladder_marks(ladder).sort_values(["period_end", "mid"]).itertuples():
        colour, marker = CONCEPT_COLOURS[r.concept], CONCEPT_MARKERS[r.concept]
        if r.hi > r.lo:
            ax.vlines(r.period_end, r.lo, r.hi, color=colour, linewidth=3, alpha=0.55)
        ax.plot(
            r.period_end,
            r.mid,
            marker=marker,
            color=colour,
            markersize=6,
            markeredgecolor="white",
            markeredgewidth=0.6,
            linestyle="",
        )
        near = any(
            abs((r.period_end - d).days) < 40 and abs(math.log10(r.mid / m)) < 0.06
            for d, m in placed
        )
        placed.append((r.period_end, r.mid))
        sides = [(5, 0, "left", "center"), (-5, 0, "right", "center")]
        ann = ax.annotate(
            r.estimate_id,
            (r.period_end, r.mid),
            xytext=(-5 if near else 5, 0),
            ha="right" if near else "left",
            textcoords="offset points",
            fontsize=6.5,
            va="center",
            color="#333333",
            path_effects=LABEL_HALO,
        )
        labels.append((sides[::-1] if near else sides, ann))
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
    # an id whose side is crossed by another estimate's range bar goes to the other side
    engine = ax.figure.get_layout_engine()
    if engine is not None:
        engine.execute(ax.figure)
    for sides, ann in labels:
        ann.set_in_layout(False)
        place_clear(ax, ann, sides, margin=1.0)


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
        ax.plot(
            r.value,
            y,
            marker=CONCEPT_MARKERS[r.concept],
            color=colour,
            linestyle="",
            markersize=7 if r.used_in_estimate else 5.5,
            markeredgecolor="black" if r.used_in_estimate else "white",
            markeredgewidth=1.4 if r.used_in_estimate else 0.5,
            zorder=3,
        )
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
        ax.text(
            cx, cy, iso, ha="center", va="center", fontsize=6.5, color="white" if dark else "black"
        )
    from ..plotting import LABEL_HALO

    mid = (xlim[0] + xlim[1]) / 2
    for east in (False, True):
        last_y = math.inf
        for cy, cx, iso in sorted((t for t in small if (t[1] > mid) == east), reverse=True):
            ty = min(cy, last_y - 0.06 * height)
            last_y = ty
            dx = 0.1 * width if east else -0.1 * width
            ax.annotate(
                iso,
                (cx, cy),
                xytext=(cx + dx, ty),
                fontsize=6.5,
                ha="left" if east else "right",
                va="center",
                path_effects=LABEL_HALO,
                arrowprops={"arrowstyle": "-", "color": "#333333", "linewidth": 0.5},
            )


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
    projected = {
        iso: [np.column_stack(equal_earth(r[:, 0], r[:, 1])) for r in polys]
        for iso, polys in rings.items()
    }

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
            ax.add_collection(
                PolyCollection(
                    verts,
                    facecolors=faces,
                    edgecolors="#555555" if group else "white",
                    linewidths=edge * (1.6 if group else 1),
                )
            )
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
    gs = fig.add_gridspec(
        1,
        2,
        width_ratios=(1.55, 1),
        left=0.0,
        right=1.0,
        bottom=0.75 / height,
        top=0.99,
        wspace=0.03,
    )
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
    world.add_patch(
        Rectangle((zx0, zy0), zx1 - zx0, zy1 - zy0, fill=False, edgecolor="#7a7a7a", linewidth=0.7)
    )
    handles = [Patch(facecolor=cmap(i), label=lab) for i, lab in enumerate(bin_labels())]
    handles += [
        Patch(facecolor="white", edgecolor="#555555", label="host, no figure"),
        Patch(facecolor="#8c8c8c", label="Russia (origin)"),
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.12 / height),
        ncol=4,
        fontsize=7.5,
        title="People still abroad (persons)",
        title_fontsize=8,
    )


def plot_permits(ax, permits: pd.DataFrame, names: dict) -> None:
    """First residence permits per year and country, one line each, labelled at its last year."""
    from matplotlib.ticker import MaxNLocator

    from ..plotting import PALETTE, mark_dates, thousands

    final_year = permits["year"].max()
    last = permits.sort_values("year").groupby("geo_iso3").tail(1).sort_values("value")
    # a line that stops early is labelled where its text is clear of the other lines (below);
    # the others in a column right of the last year, nudged apart
    stops_early = set(last.loc[last["year"] < final_year, "geo_iso3"])
    last = last[~last["geo_iso3"].isin(stops_early)]
    ends, prev = {}, -1e9
    span = permits["value"].max()
    for r in last.itertuples():  # nudge end labels apart
        y = max(r.value, prev + span * 0.045)
        ends[r.geo_iso3], prev = y, y
    colours = {
        g: PALETTE[i % len(PALETTE)] for i, g in enumerate(sorted(permits["geo_iso3"].unique()))
    }
    styles = ["-", "--"]
    for i, (g, d) in enumerate(permits.groupby("geo_iso3")):
        ax.plot(
            d["year"],
            d["value"],
            color=colours[g],
            linewidth=1.6,
            linestyle=styles[i // len(PALETTE)],
        )
        if g in stops_early:
            continue
        ax.annotate(
            names.get(g, g),
            (d["year"].max(), ends[g]),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=7.5,
            va="center",
            color=colours[g],
        )
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylabel("First residence permits issued in the year")
    ax.set_xlabel("Year")
    ax.set_xlim(permits["year"].min() - 0.3, permits["year"].max() + 2.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, None)
    mark_dates(ax, keys=("invasion",), as_year=True)
    _label_early_ends(ax, permits[permits["geo_iso3"].isin(stops_early)], names, colours)


def _label_early_ends(ax, permits: pd.DataFrame, names: dict, colours: dict) -> None:
    """Label each line that stops before the last year at its last point, on the first side
    (right, above, below, left) where the text crosses no line."""
    from ..figure_layout import around, place_clear
    from ..plotting import LABEL_HALO

    sides = [side for r in range(4, 60, 6) for side in around(r, r + 2)]
    engine = ax.figure.get_layout_engine()
    if engine is not None:  # place the labels in the axes as laid out (they stay out of layout)
        engine.execute(ax.figure)
    for g, d in permits.groupby("geo_iso3"):
        end = d.sort_values("year").iloc[-1]
        style = {"fontsize": 7.5, "color": colours[g], "path_effects": LABEL_HALO}
        xy = (end["year"], end["value"])
        ann = ax.annotate(names.get(g, g), xy, xytext=sides[0][:2], textcoords="offset points")
        ann.update(style)
        ann.set_in_layout(False)
        ok = place_clear(ax, ann, sides)
        if ok and max(map(abs, ann.get_position())) > 10:
            # far from its line's end: a thin leader line in the line's colour joins them
            dx, dy = ann.get_position()
            ha, va = ann.get_ha(), ann.get_va()
            ann.remove()
            ax.annotate(
                names.get(g, g),
                xy,
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                arrowprops={"arrowstyle": "-", "color": colours[g], "linewidth": 0.6},
                in_layout=False,
                **style,
            )


def plot_claims(ax, claims: pd.DataFrame) -> None:
    """New asylum applications by Russians per year: persons and cases as separate bars."""
    from ..plotting import PALETTE, mark_dates, thousands

    w = 0.4
    ax.bar(
        claims["year"] - w / 2,
        claims["persons"].fillna(0),
        width=w,
        color=PALETTE[0],
        label="persons",
    )
    ax.bar(
        claims["year"] + w / 2,
        claims["cases"].fillna(0),
        width=w,
        color=PALETTE[1],
        label="cases (a case may hold several persons)",
    )
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylabel("New asylum applications")
    ax.set_xlabel("Year")
    ax.set_xticks(claims["year"])
    ax.tick_params(axis="x", labelrotation=0)
    ax.legend(loc="upper left")
    mark_dates(ax, keys=("invasion",), as_year=True, label=False)


def plot_sensitivity(ax, sens: pd.DataFrame, central: float) -> None:
    """Tornado chart: for each choice, the central sum at its two ends."""
    from ..plotting import PALETTE, thousands

    for i, r in enumerate(sens.itertuples()):
        ax.barh(i, r.high_total - r.base, left=r.base, color=PALETTE[0], height=0.55)
        ax.barh(i, r.low_total - r.base, left=r.base, color=PALETTE[1], height=0.55)
        ax.annotate(
            r.low_case,
            (r.low_total, i),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=7.5,
        )
        ax.annotate(
            r.high_case,
            (r.high_total, i),
            xytext=(4, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=7.5,
        )
    ax.axvline(central, color="black", linewidth=0.9)
    ax.set_yticks(range(len(sens)), sens["assumption"])
    ax.xaxis.set_major_formatter(thousands)
    ax.grid(axis="x", color="#d9d9d9", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    lo = sens["low_total"].min()
    hi = sens["high_total"].max()
    pad = (hi - lo) * 0.25 + 1
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel("Central sum of people still abroad (persons); line: the default choices")
