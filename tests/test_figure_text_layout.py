"""Figure text never collides (#14): in every figure of the book, drawn with the real data by
the chapters' own code, no text overlaps another text or leaves the figure, and no direct label
lies on a line or on a bar it does not belong to."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from exile_report import plotting
from exile_report.figure_layout import text_collisions
from exile_report.paths import PROCESSED

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

needs_data = pytest.mark.skipif(
    not any(PROCESSED.glob("*")), reason="processed data missing: run 'exile-report data'"
)


def _draw_chapter(notebook: Path, monkeypatch) -> dict[str, list]:
    """Run a chapter's code cells in-process with its default parameters; return the
    collisions found in each figure it saves, by label."""
    import nbformat

    found: dict[str, list] = {}

    def check(fig, label, **_kwargs):
        found[label] = text_collisions(fig)
        plt.close(fig)

    monkeypatch.setattr(plotting, "save_figure", check)
    monkeypatch.setattr(plotting, "show_table", lambda *a, **k: None)
    monkeypatch.chdir(notebook.parent)
    nb = nbformat.read(notebook, as_version=4)
    ns: dict = {"__name__": "__chapter__"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"{notebook.name}", "exec"), ns)  # noqa: S102 - our chapters
    return found


@needs_data
@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_text_collides_in_the_books_figures(notebook, monkeypatch):
    found = _draw_chapter(notebook, monkeypatch)
    bad = {label: [str(c) for c in hits] for label, hits in found.items() if hits}
    assert not bad, bad


def _line_figure(label_y: float):
    fig, ax = plotting.new_figure(height=3)
    ax.plot([2010, 2020], [0, 10], color="black")
    ax.plot([2010, 2020], [5, 5], color="grey")
    ax.annotate("United Kingdom", (2015, label_y), fontsize=8)
    return fig


def test_a_label_on_a_line_is_found():
    hits = text_collisions(_line_figure(4.8))
    assert any(c.kind == "text/line" and c.first == "United Kingdom" for c in hits)


def test_a_label_clear_of_lines_passes():
    assert text_collisions(_line_figure(8.5)) == []


def test_a_bar_through_a_label_is_found_but_not_its_own_bar():
    fig, ax = plotting.new_figure(height=3)
    ax.barh([0, 1], [5, 5], left=[0, 2], height=0.6)
    ax.annotate("own bar", (0, 0), xytext=(3, 0), textcoords="offset points", va="center")
    ax.annotate("Invasion of Ukraine", (1.0, 1.0), va="center")  # runs into the bar from x=2
    kinds = {(c.kind, c.first) for c in text_collisions(fig)}
    assert ("text/bar", "Invasion of Ukraine") in kinds
    assert ("text/bar", "own bar") not in kinds


def test_overlapping_texts_and_a_text_off_the_figure_are_found():
    fig, ax = plotting.new_figure(height=3)
    ax.plot(pd.Series([1, 2]), pd.Series([1, 2]))
    ax.text(1.5, 1.2, "first label")
    ax.text(1.5, 1.2, "second label")
    ax.annotate(
        "off the edge",
        (1.02, 0.5),
        xycoords="axes fraction",
        annotation_clip=False,
        in_layout=False,
    )
    kinds = {(c.kind, c.first) for c in text_collisions(fig)}
    assert ("text/text", "first label") in kinds
    assert ("text/edge", "off the edge") in kinds
