"""Guarded Markdown: `when(flag)` ... `end()` keeps or leaves out text the data decide on, and the
expressions inside left-out text are never evaluated."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from exile_report import inline


def _evaluate(nb):
    """Run the hidden cells' evaluation in a plain namespace instead of a kernel."""
    displayed = []
    ns: dict = {"when": inline.when, "end": inline.end}
    for cell in nb.cells:
        if inline.TAG in cell.metadata.get("tags", []):
            import IPython.display

            saved = IPython.display.display
            IPython.display.display = lambda obj, raw=False: displayed.append(obj)
            try:
                exec(cell.source, ns)  # noqa: S102 - the cell prepare() wrote
            finally:
                IPython.display.display = saved
            cell["outputs"] = [
                {"output_type": "display_data", "metadata": {}, "data": displayed[-1]}
            ]
        elif cell.cell_type == "code":
            exec(cell.source, ns)  # noqa: S102 - the test's own code
    return nb


def _render(cells):
    nb = new_notebook(cells=cells)
    inline.prepare(nb)
    inline.substitute(_evaluate(nb))
    return [c.source for c in nb.cells]


PEAK = (
    "Peak in `{python} peak`.`{python} when(peak != last)` In `{python} last` it was "
    "`{python} undefined_name`.`{python} end()` See the figure."
)
CHOICE = (
    "peaked in `{python} p`,`{python} when(p == l)` the last year shown`{python} end()`"
    "`{python} when(p != l)` and fell by `{python} l`.`{python} end()`"
)
NESTED = (
    "`{python} when(n)`There are `{python} n[0]` rows`{python} when(len(n) > 1)` and more, "
    "`{python} n[1]``{python} end()`.`{python} when(not n)` Never.`{python} end()` Done."
)
LINES = (
    "First.\n`{python} when(a)`Second.`{python} end()`\n`{python} when(b)`Third.`{python} end()`"
    "\nLast.\n\nNext paragraph."
)
SPAN = (
    "A`{python} when(False)` b\nc `{python} x`\nd`{python} end()` e\n"
    "`{python} when(True)`f`{python} end()`"
)


@pytest.mark.parametrize(
    ("setup", "markdown", "expected"),
    [
        # a false guard leaves out its sentence, and what it holds is not evaluated
        ("peak = last = 2023", PEAK, "Peak in 2023. See the figure."),
        (
            "peak, last, undefined_name = 2023, 2025, 7",
            PEAK,
            "Peak in 2023. In 2025 it was 7. See the figure.",
        ),
        # two guards choose between two phrasings
        ("p = l = 3", CHOICE, "peaked in 3, the last year shown"),
        ("p, l = 3, 4", CHOICE, "peaked in 3, and fell by 4."),
        # guards nest, inside a kept cell and a left-out one (the cell is then dropped)
        ("n = [1]", NESTED, "There are 1 rows. Done."),
        ("n = [1, 2]", NESTED, "There are 1 rows and more, 2. Done."),
        ("n = []", NESTED, None),
        # guards on lines of their own never leave a blank line, which would split a paragraph
        ("a = b = False", LINES, "First.\nLast.\n\nNext paragraph."),
        ("a, b = False, True", LINES, "First.\nThird.\nLast.\n\nNext paragraph."),
        # guards span lines; their markers never reach the text
        ("pass", SPAN, "A e\nf"),
    ],
)
def test_guarded_markdown(setup, markdown, expected):
    out = _render([new_code_cell(setup), new_markdown_cell(markdown)])
    assert out[1:] == ([] if expected is None else [expected])
    assert not any(inline.OMIT in t or inline.END in t for t in out)


def test_a_guard_without_end_reaches_the_end_of_the_cell_and_an_emptied_cell_is_dropped():
    def cells(rows):
        return [
            new_code_cell(f"rows = {rows}"),
            new_markdown_cell("`{python} when(rows)`There are `{python} rows[0]` rows.\n\nMore."),
            new_markdown_cell("`{python} when(not rows)`No rows."),
        ]

    assert _render(cells([])) == ["rows = []", "No rows."]
    assert _render(cells([5])) == ["rows = [5]", "There are 5 rows.\n\nMore."]
