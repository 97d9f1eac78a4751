"""Checks that a drawn figure's text never collides: with other text, with the figure's edge, or
(for direct labels and annotations) with the lines and bars of the chart.

Boxes are measured with matplotlib's renderer (``get_window_extent``) after the layout engine
has run, so they are the boxes of the saved image. The figure is drawn once here; the PDF and the
HTML both show that same SVG, scaled, so one size checks both.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

#: Pixels (at the figure's dpi) two boxes may share before they count as overlapping: glyph
#: boxes include the font's ascent and descent, so touching boxes are not touching ink.
TOLERANCE = 1.0


@dataclass(frozen=True)
class Collision:
    kind: str  # "text/text", "text/edge", "text/line", "text/bar"
    first: str
    second: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.first!r} / {self.second!r}"


def _texts(fig) -> list[tuple[Text, str]]:
    """Every visible, non-empty text artist with its role: 'label' for direct labels and
    annotations drawn in an axes, 'tick', 'axis' (axis labels, titles), 'legend'."""
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                for tick in axis._update_ticks():  # the ticks a draw would show
                    out.extend((t, "tick") for t in (tick.label1, tick.label2))
                out.append((axis.label, "axis"))
                out.append((axis.get_offset_text(), "axis"))
        for t in (ax.title, ax._left_title, ax._right_title):
            out.append((t, "axis"))
        for t in ax.texts:
            out.append((t, "label"))
        leg = ax.get_legend()
        if leg is not None:
            out.extend((t, "legend") for t in [*leg.get_texts(), leg.get_title()])
    for leg in fig.legends:
        out.extend((t, "legend") for t in [*leg.get_texts(), leg.get_title()])
    out.extend((t, "label") for t in fig.texts)
    return [(t, role) for t, role in out if t.get_visible() and t.get_text().strip()]


def _anchor(t: Text) -> np.ndarray:
    """Where a label is attached, in display pixels (an annotation's point, a text's position)."""
    if isinstance(t, Annotation):
        return np.asarray(t._get_xy_display(), dtype=float)
    return np.asarray(t.get_transform().transform(t.get_unitless_position()), dtype=float)


def _box(t: Text, renderer) -> Bbox:
    box = t.get_window_extent(renderer)
    if isinstance(t, Annotation):
        # the annotation's text only, not its leader line
        t.update_positions(renderer)
        box = Text.get_window_extent(t, renderer)
    return box


def _shrink(box: Bbox, by: float = TOLERANCE) -> Bbox:
    return Bbox.from_extents(box.x0 + by, box.y0 + by, box.x1 - by, box.y1 - by)


def _segments(ax) -> list[tuple[np.ndarray, str]]:
    """The plotted lines of an axes as polylines in display pixels, with a name."""
    out = []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_linestyle() in ("None", "", " "):
            continue
        if line.get_transform() != ax.transData:
            # a rule across the whole axes (axvline, axhline: reference dates, zero lines) is
            # drawn under the text, which keeps a white halo over it
            continue
        xy = np.asarray(line.get_xydata(), dtype=float)
        if len(xy) < 2:
            continue
        pts = line.get_transform().transform(xy)
        out.append((pts, line.get_label() or "line"))
    for coll in ax.collections:
        if isinstance(coll, LineCollection) and coll.get_visible():
            for seg in coll.get_segments():
                if len(seg) >= 2:
                    out.append((coll.get_transform().transform(seg), "segment"))
    return out


def _crosses(box: Bbox, pts: np.ndarray) -> bool:
    """Whether a polyline passes through a box (sampled finely along each segment)."""
    for a, b in itertools.pairwise(pts):
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            continue
        n = max(2, int(np.hypot(*(b - a)) // 1.5) + 2)
        xs = np.linspace(a[0], b[0], n)
        ys = np.linspace(a[1], b[1], n)
        inside = (xs > box.x0) & (xs < box.x1) & (ys > box.y0) & (ys < box.y1)
        if inside.any():
            return True
    return False


def _bars(ax) -> list[tuple[Bbox, str]]:
    """Filled bars (rectangles of bar charts) in display pixels."""
    out = []
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_visible() and patch.get_fill():
            if patch.get_width() == 0 or patch.get_height() == 0:
                continue
            out.append((patch.get_window_extent(), patch.get_label() or "bar"))
    return out


def text_collisions(fig) -> list[Collision]:
    """Every collision of text in ``fig`` (laid out as it will be saved).

    - any two texts overlap (tick labels, axis labels, titles, legend entries, labels);
    - a text leaves the figure;
    - a direct label or annotation (``ax.text``/``ax.annotate``) is crossed by a plotted line or
      lies on a bar it does not belong to (a bar holding the label's anchor point is its own:
      a label may sit inside or start on it).
    """
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    fig.canvas.draw()  # positions of tick labels and legends are fixed only by a draw
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    found: list[Collision] = []
    items = [(t, role, _box(t, renderer)) for t, role in _texts(fig)]
    for t, _role, box in items:
        off = box.x0 < -TOLERANCE or box.y0 < -TOLERANCE
        if off or box.x1 > width + TOLERANCE or box.y1 > height + TOLERANCE:
            found.append(Collision("text/edge", t.get_text(), "figure edge"))
    for i, (t1, _r1, b1) in enumerate(items):
        s1 = _shrink(b1)
        for t2, _r2, b2 in items[i + 1 :]:
            if s1.overlaps(_shrink(b2)):
                found.append(Collision("text/text", t1.get_text(), t2.get_text()))
    for ax in fig.axes:
        labels = [(t, _shrink(_box(t, renderer), 1.5)) for t in ax.texts if t.get_visible()]
        labels = [(t, b) for t, b in labels if t.get_text().strip()]
        if not labels:
            continue
        lines = _segments(ax)
        bars = _bars(ax)
        for t, box in labels:
            for pts, name in lines:
                if _crosses(box, pts):
                    found.append(Collision("text/line", t.get_text(), name))
            x, y = _anchor(t)
            for bar_box, name in bars:
                own = (
                    bar_box.x0 - 2 <= x <= bar_box.x1 + 2 and bar_box.y0 - 2 <= y <= bar_box.y1 + 2
                )
                if not own and box.overlaps(bar_box):
                    found.append(Collision("text/bar", t.get_text(), name))
    return found


def place_clear(ax, ann: Annotation, candidates, margin: float = 3.0) -> bool:
    """Move an annotation to the first of ``candidates`` (``(dx, dy, ha, va)``: offset in
    points and alignment) where no plotted line of ``ax`` passes through its text and the text
    stays inside the axes; keep the first candidate when none is clear. Call it once the data
    and the limits are set. Returns whether a clear place was found."""
    renderer = ax.figure.canvas.get_renderer()
    lines = _segments(ax)
    inside = ax.get_window_extent(renderer)
    for dx, dy, ha, va in candidates:
        ann.set_position((dx, dy))
        ann.set_ha(ha)
        ann.set_va(va)
        ann.update_positions(renderer)
        box = Text.get_window_extent(ann, renderer)
        box = Bbox.from_extents(box.x0 - margin, box.y0 - margin, box.x1 + margin, box.y1 + margin)
        if not inside.contains(box.x0, box.y0) or not inside.contains(box.x1, box.y1):
            continue
        if not any(_crosses(box, pts) for pts, _ in lines):
            return True
    dx, dy, ha, va = candidates[0]
    ann.set_position((dx, dy))
    ann.set_ha(ha)
    ann.set_va(va)
    return False


def around(dx: float, dy: float) -> list[tuple[float, float, str, str]]:
    """Places for a label around its point, ``dx``/``dy`` points away: right, above, below,
    left, then the four corners (for :func:`place_clear`)."""
    return [
        (dx, 0, "left", "center"),
        (0, dy, "center", "bottom"),
        (0, -dy, "center", "top"),
        (-dx, 0, "right", "center"),
        (dx, dy, "left", "bottom"),
        (-dx, dy, "right", "bottom"),
        (dx, -dy, "left", "top"),
        (-dx, -dy, "right", "top"),
    ]
