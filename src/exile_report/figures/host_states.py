"""Chapter 3's figures: the timeline of measures, the map of stances, the counts per half-year
and the flows around the measures, drawn from what :mod:`exile_report.analysis.host_states`
computes."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

from ..analysis.host_states import EU_MEMBERS, FAMILIES, MOBILISATION, half_year, timeline_window
from ..maps import country_rings, equal_earth
from ..prose import INVASION

MIXED_COLOUR = "#CC79A7"  # reddish purple: a mixed measure, or both kinds within weeks
DIRECTION_COLOURS = {"restrictive": "#D55E00", "facilitating": "#0072B2", "mixed": MIXED_COLOUR}
DIRECTIONS = tuple(DIRECTION_COLOURS)

STANCE_COLOURS = {
    "restrictive": "#D55E00",  # vermillion
    "mixed": "#CC79A7",  # reddish purple
    "facilitating": "#0072B2",  # blue
    "none in force": "#ffffff",
}

STANCE_LABELS = {
    "restrictive": "only restrictive measures in force",
    "mixed": "both kinds, or a mixed measure, in force",
    "facilitating": "only facilitating measures in force",
    "none in force": "selected, no recorded measure in force",
}

SHORT_TYPE = {
    "visa-suspension": "visa stop",
    "visa-restriction": "visa tightening",
    "entry-ban": "entry ban",
    "border-closure": "border closed",
    "residence-rule": "residence rule",
    "humanitarian-visa": "humanitarian visas",
    "asylum-practice": "asylum practice",
    "work-permit": "work permits",
    "registration-rule": "registration rule",
    "travel-document": "travel documents",
    "other": "other",
}


# ---------------------------------------------------------------- maps


def laea(lon, lat, lon0: float = 45.0, lat0: float = 50.0):
    """Lambert azimuthal equal-area projection (unit sphere): areas stay true around the centre,
    which here lies between Europe and Central Asia."""
    lam = np.radians(np.asarray(lon, dtype=float) - lon0)
    phi = np.radians(np.asarray(lat, dtype=float))
    p0 = math.radians(lat0)
    k = np.sqrt(2 / (1 + math.sin(p0) * np.sin(phi) + math.cos(p0) * np.cos(phi) * np.cos(lam)))
    x = k * np.cos(phi) * np.sin(lam)
    y = k * (math.cos(p0) * np.sin(phi) - math.sin(p0) * np.cos(phi) * np.cos(lam))
    return x, y


# ---------------------------------------------------------------- drawing


def _plain_axes(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)


SEA = "#eef3f7"


def map_figure(height: float = 5.4):
    """A house-style figure without a layout engine: the map places its own axes."""
    import matplotlib.pyplot as plt

    from ..plotting import FIG_WIDTH, apply_style

    apply_style()
    return plt.figure(figsize=(FIG_WIDTH, height))


def _anchor(polys: list[np.ndarray], project) -> tuple[float, float]:
    """A point inside a country for its marker: the vertex mean of its largest ring, projected."""

    def area(xy):
        x, y = xy[:, 0], xy[:, 1]
        return abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2

    rings = [np.column_stack(project(r[:, 0], r[:, 1])) for r in polys]
    big = max(rings, key=area)
    return float(big[:, 0].mean()), float(big[:, 1].mean())


EVENT_MARK = {"marker": "D", "facecolor": "white", "edgecolor": "black", "linewidth": 0.8}


def plot_stance_map(
    fig, geo: dict, fills: dict[str, str], eu_stance: str | None, events=()
) -> None:
    """Europe-and-neighbours map (Lambert equal-area) of each selected jurisdiction's stance, with
    a world inset for the selected states beyond it. EU members are hatched when the EU level had
    measures in force (they apply in every member state on top of national ones). ``events``:
    countries with one-off events recorded by the date, marked with a diamond apart from the
    colour (an event never sets a stance). The legend lists the stances drawn."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    rings = country_rings(geo)
    hatch_eu = eu_stance is not None and eu_stance != "none in force"

    def face(iso):
        if iso in fills:
            return STANCE_COLOURS[fills[iso]], "#3a3a3a"
        if iso == "RUS":
            return "#8c8c8c", "white"
        return "#dcdcdc", "white"

    import matplotlib as mpl

    mpl.rcParams["hatch.linewidth"] = 0.5
    xs, ys = laea(np.array([-11, 40, 100, 40]), np.array([45, 29, 45, 70]))
    width = fig.get_figwidth()
    map_h = width * (ys.max() - ys.min()) / (xs.max() - xs.min())
    band = 1.55  # inches under the map: legend, world inset, source line
    total = map_h + band
    fig.set_size_inches(width, total)
    ax = fig.add_axes((0.0, band / total, 1.0, map_h / total))
    ax.set_facecolor(SEA)
    faces, hatched = [], []
    for iso, polys in rings.items():
        fc, ec = face(iso)
        for ring in polys:
            if ring[:, 0].max() < -30 or ring[:, 1].max() < 0:
                continue  # far side of the globe: not in this view
            xy = np.column_stack(laea(ring[:, 0], ring[:, 1]))
            faces.append((xy, fc, ec, 0.35 if iso in fills else 0.25))
            if hatch_eu and iso in EU_MEMBERS:
                hatched.append(xy)
    ax.add_collection(
        PolyCollection(
            [f[0] for f in faces],
            facecolors=[f[1] for f in faces],
            edgecolors=[f[2] for f in faces],
            linewidths=[f[3] for f in faces],
        )
    )
    if hatched:
        ax.add_collection(
            PolyCollection(
                hatched, facecolors="none", edgecolors="#3a3a3a", hatch="///", linewidths=0
            )
        )

    def in_view(pt):
        return xs.min() <= pt[0] <= xs.max() and ys.min() <= pt[1] <= ys.max()

    placed = {iso: _anchor(rings[iso], laea) for iso in events if iso in rings}
    marks = [pt for pt in placed.values() if in_view(pt)]
    if marks:
        mx, my = zip(*marks, strict=True)
        ax.scatter(mx, my, s=22, zorder=5, **EVENT_MARK)
    ax.set_xlim(xs.min(), xs.max())
    ax.set_ylim(ys.min(), ys.max())
    ax.set_aspect("equal")
    _plain_axes(ax)
    for sp in ax.spines.values():
        sp.set_visible(True)
        sp.set_color("#9a9a9a")

    inset = fig.add_axes((0.7, 0.3 / total, 0.3, 1.2 / total))
    world = [
        (np.column_stack(equal_earth(r[:, 0], r[:, 1])), *face(iso), iso in fills)
        for iso, polys in rings.items()
        for r in polys
    ]
    inset.add_collection(
        PolyCollection(
            [w[0] for w in world],
            facecolors=[w[1] for w in world],
            edgecolors=["#3a3a3a" if w[3] else "none" for w in world],
            linewidths=0.2,
        )
    )
    far = [_anchor(rings[iso], equal_earth) for iso, pt in placed.items() if not in_view(pt)]
    if far:
        fx, fy = zip(*far, strict=True)
        inset.scatter(fx, fy, s=9, zorder=5, **EVENT_MARK)
    x0, y0 = equal_earth(-180, -60)
    x1, y1 = equal_earth(180, 84)
    inset.set_xlim(x0, x1)
    inset.set_ylim(y0, y1)
    inset.set_aspect("equal")
    _plain_axes(inset)
    inset.set_facecolor("white")
    for s in inset.spines.values():
        s.set_visible(True)
        s.set_color("#9a9a9a")
    inset.set_title("Whole world", fontsize=7.5, fontweight="normal", pad=2)

    from matplotlib.lines import Line2D

    shown = set(fills.values())
    handles = [
        Patch(facecolor=STANCE_COLOURS[k], edgecolor="#3a3a3a", label=STANCE_LABELS[k])
        for k in STANCE_COLOURS
        if k in shown
    ]
    if marks or far:
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor="black",
                markersize=5,
                label="one-off events by the date (no colour)",
            )
        )
    handles += [
        Patch(facecolor="#dcdcdc", label="not selected"),
        Patch(facecolor="#8c8c8c", label="Russia"),
    ]
    if hatch_eu:
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="#3a3a3a",
                hatch="///",
                label=f"EU member; EU-level measures: {eu_stance}",
            )
        )
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, (band - 0.05) / total),
        ncol=2,
        fontsize=7.3,
        handlelength=1.5,
        borderaxespad=0.2,
        columnspacing=1.0,
    )


#: Size of the labels beside the timeline's bars (points) and the width one character of them
#: takes on average (inches): :func:`timeline_days_per_char` turns it into days of the time axis.
LABEL_SIZE = 5.6
CHAR_INCH = 0.52 * LABEL_SIZE / 72
#: Inches of the figure's width left to the time axis once the lane names are set.
TIMELINE_AXES_WIDTH = 5.35


def timeline_days_per_char(as_of) -> float:
    """Days of the time axis one character of a bar's label covers (for packing the sub-rows)."""
    lo, hi = timeline_window(as_of)
    return ((hi - lo).days + 20) / TIMELINE_AXES_WIDTH * CHAR_INCH


def timeline_styles(tl: pd.DataFrame) -> list[tuple[str, str]]:
    """The (status, direction) pairs drawn, in a fixed order: the legend lists these and no
    others, so a style appears in the legend exactly when the chart uses it."""
    drawn = set(zip(tl["status"], tl["direction"], strict=True))
    statuses = ("in force", "ended", "announced", "event")
    return [(st, d) for st in statuses for d in DIRECTIONS if (st, d) in drawn]


def _colour(direction: str) -> str:
    return DIRECTION_COLOURS.get(direction, MIXED_COLOUR)


ENDED_ALPHA = 0.45
#: Lanes' worth of room above the first lane for the key dates' labels (two lines of text, one
#: under the other), so no bar runs through them.
KEY_DATE_ROOM = 3.9


def plot_timeline(fig, ax, tl: pd.DataFrame, names: dict, as_of) -> None:
    """One lane per jurisdiction; each measure a bar from the day it took effect to its end (or to
    the date shown), coloured by direction and labelled with its name; lighter once ended; hollow
    when announced, not yet in force. One-off events are diamonds at their date. The legend is
    built from what is drawn."""
    import matplotlib.dates as mdates
    from matplotlib import patheffects
    from matplotlib.legend_handler import HandlerTuple

    from ..plotting import LIGHT_GREY, mark_dates

    lo, hi = timeline_window(as_of)
    n_tracks = tl.groupby("lane")["track"].max() + 1
    base = {}
    y = 0.0
    for lane in sorted(n_tracks.index):
        base[lane] = y
        y += n_tracks[lane] + 0.45
    height = 0.62
    yy = tl["lane"].map(base) + tl["track"]
    colour = tl["direction"].map(_colour)
    width = tl["draw_end"] - tl["draw_start"]
    status = tl["status"].to_numpy()
    bar_style = {
        "in force": {"alpha": 0.95, "linewidth": 0},
        "ended": {"alpha": ENDED_ALPHA, "linewidth": 0},
        "announced": {"linewidth": 0.9, "linestyle": (0, (2, 1))},
    }
    for st, style in bar_style.items():
        mask = status == st
        if not mask.any():
            continue
        colours = list(colour[mask])
        fill = {"facecolor": "white", "edgecolor": colours} if st == "announced" else {}
        ax.barh(
            yy[mask],
            width[mask],
            left=tl["draw_start"][mask],
            height=height,
            color=None if fill else colours,
            **fill,
            **style,
        )
    point = status == "event"
    starts = (status != "announced") & ~point & ~tl["clipped"].to_numpy()
    going = (status == "in force") & tl["date_ended"].isna().to_numpy()
    marks = (  # (where, which rows, how): events, start ticks, "still in force" arrows
        ("draw_start", point, {"marker": "D", "s": 16, "edgecolors": "black", "linewidths": 0.5}),
        ("draw_start", starts, {"marker": "|", "s": 30, "linewidths": 1}),
        ("draw_end", going, {"marker": ">", "s": 18, "linewidths": 0}),
    )
    for column, mask, style in marks:
        if mask.any():
            tick = style["marker"] == "|"
            ax.scatter(
                tl[column][mask],
                yy[mask],
                c="black" if tick else list(colour[mask]),
                zorder=3 if tick or style["marker"] == ">" else 4,
                **style,
            )
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
    # a label that fits inside a saturated bar is white on it; any other is dark, with a halo
    fits = (
        tl["draw_start"]
        + pd.to_timedelta((tl["label"].str.len() + 2) * timeline_days_per_char(as_of), unit="D")
    ) <= tl["draw_end"]
    inside = (status == "in force") & fits.to_numpy()
    for x, yv, text, is_point, white in zip(
        tl["draw_start"], yy, tl["label"], point, inside, strict=True
    ):
        ax.annotate(
            text,
            (x, yv),
            xytext=(5 if is_point else 3, 0),
            textcoords="offset points",
            fontsize=LABEL_SIZE,
            va="center",
            ha="left",
            color="white" if white else "#1a1a1a",
            path_effects=None if white else halo,
            zorder=5,
            annotation_clip=False,
        )
    ticks = [base[lane] + (n_tracks[lane] - 1) / 2 for lane in sorted(n_tracks.index)]
    labels = [
        names.get(j, j) for j in tl.drop_duplicates("lane").sort_values("lane")["jurisdiction"]
    ]
    ax.set_yticks(ticks, labels)
    for lane in sorted(n_tracks.index)[1::2]:
        ax.axhspan(
            base[lane] - 0.5,
            base[lane] + n_tracks[lane] - 0.5,
            color="#f4f4f4",
            zorder=0,
            linewidth=0,
        )
    ax.set_ylim(y - 0.4, -KEY_DATE_ROOM)
    ax.set_xlim(lo, hi + pd.Timedelta(days=20))
    if (hi - lo).days > 800:
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
    else:  # a short window: label quarters
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.set_axisbelow(True)  # the grid runs under the bars and their labels
    ax.grid(axis="x", which="both", color=LIGHT_GREY, linewidth=0.5)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0, labelsize=8)
    ax.set_xlabel("Date the measure applied (bars end where a recorded measure ended)")
    mark_dates(
        ax,
        keys=tuple(
            k for k, d in (("invasion", INVASION), ("mobilisation", MOBILISATION)) if d <= hi
        ),
    )
    handles, texts = timeline_legend(tl)
    fig.legend(
        handles=handles,
        labels=texts,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0)},
        loc="outside upper center",
        ncol=min(4, len(handles)),
        fontsize=7.5,
        handlelength=2.2,
        columnspacing=1.0,
    )


def timeline_legend(tl: pd.DataFrame) -> tuple[list, list[str]]:
    """The legend's handles and texts, one per style drawn (see :func:`timeline_styles`); each
    swatch is drawn exactly as its bars or marks are (same colours, same lightness)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    styles = timeline_styles(tl)
    handles, texts = [], []
    for st in ("in force", "ended", "announced", "event"):
        dirs = [d for s_, d in styles if s_ == st]
        if not dirs:
            continue
        if st == "in force":
            for d in dirs:
                handles.append(Patch(facecolor=_colour(d), alpha=0.95, linewidth=0))
                texts.append(f"{d}, in force")
            continue
        if st == "ended":
            parts = tuple(Patch(facecolor=_colour(d), alpha=ENDED_ALPHA, linewidth=0) for d in dirs)
            texts.append("ended (lighter)")
        elif st == "announced":
            parts = tuple(
                Patch(facecolor="white", edgecolor=_colour(d), linestyle=(0, (2, 1))) for d in dirs
            )
            texts.append("announced, not yet in force")
        else:
            parts = tuple(
                Line2D(
                    [],
                    [],
                    marker="D",
                    linestyle="",
                    markerfacecolor=_colour(d),
                    markeredgecolor="black",
                    markeredgewidth=0.5,
                    markersize=4,
                )
                for d in dirs
            )
            texts.append("one-off event")
        handles.append(parts if len(parts) > 1 else parts[0])
    if ((tl["status"] == "in force") & tl["date_ended"].isna()).any():
        handles.append(Line2D([], [], marker=">", color="#6b6b6b", linestyle="", markersize=4))
        texts.append("still in force")
    return handles, texts


def plot_counts(ax, counts: pd.DataFrame, as_of) -> None:
    """Measures taking effect per half-year, stacked by family: restrictive above the line (mixed
    measures hatched on top of them), facilitating below it."""
    from ..plotting import PALETTE

    lo, hi = timeline_window(as_of)
    periods = []
    t = lo
    while t <= hi:
        p = half_year(t)
        if p not in periods:
            periods.append(p)
        t += pd.DateOffset(months=6)
    if half_year(hi) not in periods:
        periods.append(half_year(hi))
    extra = sorted(set(counts["period"]) - set(periods))
    periods = extra + periods  # measures from before the window (e.g. 2017) come first
    x = np.arange(len(periods))
    colours = {fam: PALETTE[i] for i, fam in enumerate(FAMILIES)}
    labelled: set[str] = set()
    up = np.zeros(len(periods))
    down = np.zeros(len(periods))
    # restrictive above the line, mixed measures (hatched) on top of them, facilitating below
    for direction in ("restrictive", "mixed", "facilitating"):
        sign = -1 if direction == "facilitating" else 1
        for fam in FAMILIES:
            sel = counts[(counts["family"] == fam) & (counts["direction"] == direction)]
            vals = sel.set_index("period")["measures"].reindex(periods, fill_value=0).to_numpy()
            if not vals.any():
                continue
            bottom = down if sign < 0 else up
            ax.bar(
                x,
                sign * vals,
                bottom=sign * bottom,
                color=colours[fam],
                width=0.7,
                label=fam if fam not in labelled else None,
                edgecolor="white",
                linewidth=0.4,
                hatch="////" if direction == "mixed" else None,
            )
            labelled.add(fam)
            bottom += vals
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, periods)
    ax.tick_params(axis="x", labelsize=7.5, labelrotation=0)
    top = max(
        1,
        counts[counts["direction"] != "facilitating"].groupby("period")["measures"].sum().max()
        if len(counts)
        else 1,
    )
    bot = max(
        1,
        counts[counts["direction"] == "facilitating"].groupby("period")["measures"].sum().max()
        if len(counts)
        else 1,
    )
    ax.set_ylim(-bot - 1.5, top + 1.5)
    ax.yaxis.set_major_formatter(lambda v, _p: f"{abs(v):.0f}")
    ax.set_ylabel("Measures taking effect (number)")
    ax.text(0.995, 0.97, "restrictive ↑", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.text(
        0.995, 0.03, "facilitating ↓", transform=ax.transAxes, ha="right", va="bottom", fontsize=8
    )
    handles, texts = ax.get_legend_handles_labels()
    if (counts["direction"] == "mixed").any():
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="white", edgecolor="#3a3a3a", hatch="////"))
        texts.append("mixed measure (hatched, above)")
    ax.figure.legend(handles, texts, loc="outside upper center", fontsize=7.5, ncol=2)
    ax.grid(axis="y")


def _label_groups(measures: pd.DataFrame, gap_days: int = 130, max_chars: int = 34) -> list[tuple]:
    """Merge measures close in time into one label: [(date, direction or 'mixed', text)]. The
    text is the measures' short names ('+ n more' past ``max_chars``), else their types."""
    groups: list[list] = []
    for r in measures.sort_values("start").itertuples():
        text = str(getattr(r, "short_name", "") or "") or SHORT_TYPE[r.measure_type]
        if groups and (r.start - groups[-1][0]).days <= gap_days:
            groups[-1][1].add(r.direction)
            if text not in groups[-1][2]:
                groups[-1][2].append(text)
        else:
            groups.append([r.start, {r.direction}, [text]])

    def joined(texts):
        out = texts[0]
        for i, t in enumerate(texts[1:], start=1):
            if len(out) + 3 + len(t) > max_chars:
                return f"{out} + {len(texts) - i} more"
            out = f"{out} + {t}"
        return out

    return [(d, dirs.pop() if len(dirs) == 1 else "mixed", joined(t)) for d, dirs, t in groups]


#: Characters of a measure's label in the small multiples beyond which it wraps onto two lines
#: (so that it hangs over at most about the upper half of its panel).
FLOW_LABEL_CHARS = 32


def _wrap_flow_label(text: str) -> str:
    if len(text) <= FLOW_LABEL_CHARS:
        return text
    return textwrap.fill(text, len(text) // 2 + 4)


def _max(series: pd.Series) -> float:
    """Largest value of a nullable series, 0 when it has none."""
    v = series.astype("Float64").max(skipna=True)
    return 0.0 if pd.isna(v) else float(v)


def _labelled_line(ax, x, text: str, y: float, *, colour, line: dict, **text_style) -> None:
    """A vertical line at ``x`` and its label just left of it, at height ``y`` (a fraction of
    the axes)."""
    ax.axvline(x, color=colour, **line)
    ax.annotate(
        text,
        (x, y),
        xycoords=("data", "axes fraction"),
        xytext=(-2, 0),
        textcoords="offset points",
        color=colour,
        ha="right",
        **text_style,
    )


def plot_flows(
    fig,
    axes,
    flows: dict[str, pd.DataFrame],
    measures: dict[str, pd.DataFrame],
    names: dict,
    switches: dict[str, pd.DataFrame] | None = None,
) -> None:
    """Small multiples: per host, yearly new asylum applications by Russians (bars, persons; where
    part of them was reported in cases, hollow hatched bars beside them, never added) and first
    residence permits (line), with the state's own measures as labelled vertical lines (EU-level
    measures apply alike in every member and are left to the timeline). ``switches``: per host,
    the years a reporting unit changed from cases to persons (:func:`unit_switches`), marked with
    a dotted line."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..plotting import GREY, LABEL_HALO, PALETTE, mark_dates, thousands

    switches = switches or {}
    any_cases = False
    for ax, host in zip(axes.flat, flows, strict=False):
        f = flows[host]
        mid = pd.to_datetime(f["year"].astype(str) + "-07-01")
        persons = f["asylum_new_persons"].astype("Float64")
        cases = f["asylum_new_cases"].astype("Float64")
        has_cases = bool(cases.notna().any())
        any_cases |= has_cases
        shift = pd.Timedelta(days=80 if has_cases else 0)
        ax.bar(
            mid - shift,
            persons.fillna(0).to_numpy(dtype=float),
            width=150 if has_cases else 300,
            color=PALETTE[4],
        )
        if has_cases:
            ax.bar(
                mid + shift,
                cases.fillna(0).to_numpy(dtype=float),
                width=150,
                facecolor="white",
                edgecolor=PALETTE[4],
                hatch="/////",
                linewidth=0.6,
            )
        ymax = max(
            _max(f["asylum_new_persons"]),
            _max(f["asylum_new_cases"]),
            _max(f["first_permits"]),
            1.0,
        )
        for x in mid[persons.isna().to_numpy()]:
            ax.text(x, ymax * 0.02, "n/a", ha="center", va="bottom", fontsize=6.5, color=GREY)
        if f["first_permits"].notna().any():
            ax.plot(
                mid,
                f["first_permits"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                color=PALETTE[1],
                marker="o",
                markersize=3,
                linewidth=1.5,
            )
        ax.set_ylim(0, ymax * 2.3)
        first, last = int(f["year"].min()), int(f["year"].max())
        m = measures[host]
        national = m[(m["level"] == "national") & (m["start"] < pd.Timestamp(f"{last + 1}-01-01"))]
        for d, direction, text in _label_groups(national):
            _labelled_line(
                ax,
                d,
                _wrap_flow_label(text),
                0.98,
                colour=DIRECTION_COLOURS.get(direction, MIXED_COLOUR),
                line={"linewidth": 1.2},
                fontsize=6.5,
                va="bottom",
                rotation=90,
                # aligned before rotating: the text ends at the top, and all its lines lie left
                # of the measure's line
                rotation_mode="anchor",
                path_effects=LABEL_HALO,
            )
        sw = switches.get(host)
        for year in sorted(set(sw["first_persons_year"])) if sw is not None and len(sw) else ():
            _labelled_line(
                ax,
                pd.Timestamp(f"{year}-01-01"),
                f"cases → persons\nfrom {year}",
                0.62,
                colour="black",
                line={"linestyle": ":", "linewidth": 1.0},
                fontsize=6.3,
                va="center",
            )
        mark_dates(ax, label=False)
        ax.set_title(names.get(host, host), fontsize=9.5)
        ax.yaxis.set_major_formatter(thousands)
        ax.tick_params(axis="both", labelsize=7.5)
        ticks = [pd.Timestamp(f"{y}-01-01") for y in range(first, last + 2, 2)]
        ax.set_xticks(ticks, [str(t.year) for t in ticks])
        ax.set_xlim(pd.Timestamp(f"{first}-01-01"), pd.Timestamp(f"{last + 1}-01-01"))
    for ax in list(axes.flat)[len(flows) :]:
        ax.set_visible(False)
    handles = [
        Patch(color=PALETTE[4], label="new asylum applications, persons (UNHCR)"),
        *(
            [
                Patch(
                    facecolor="white",
                    edgecolor=PALETTE[4],
                    hatch="/////",
                    label="applications counted in cases (not added)",
                )
            ]
            if any_cases
            else []
        ),
        Line2D(
            [],
            [],
            color=PALETTE[1],
            marker="o",
            markersize=3,
            label="first residence permits (Eurostat)",
        ),
        Line2D([], [], color=DIRECTION_COLOURS["restrictive"], label="restrictive measure"),
        Line2D([], [], color=DIRECTION_COLOURS["facilitating"], label="facilitating measure"),
        Line2D([], [], color=MIXED_COLOUR, label="mixed, or both within weeks"),
    ]
    fig.legend(handles=handles, loc="outside upper center", ncol=3, fontsize=7.5)
    fig.supylabel("Per year (applications in persons; permits)", fontsize=8.5)
    _room_for_measure_labels(fig, axes)


def _room_for_measure_labels(fig, axes) -> None:
    """Raise each panel's y limit so its data stay below the measures' labels, which hang from
    the top of the panel (no label runs across a bar or the permits line)."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    renderer = fig.canvas.get_renderer()
    for ax in axes.flat:
        labels = [t for t in ax.texts if t.get_rotation() == 90]
        if not ax.get_visible() or not labels:
            continue
        for t in labels:
            t.set_in_layout(False)
        height = ax.get_window_extent(renderer).height
        top = ax.get_window_extent(renderer).y1
        lowest = min(t.get_window_extent(renderer).y0 for t in labels)
        free = (lowest - (top - height) - 4) / height  # share of the panel under the labels
        lo, hi = ax.get_ylim()
        data_top = hi / 2.3  # the data's maximum (set_ylim above: ymax * 2.3)
        if 0.15 < free and data_top / hi > free:
            ax.set_ylim(lo, data_top / free)
