"""Guarded Markdown: `when(flag)` ... `end()` keeps or leaves out text the data decide on, and the
expressions inside left-out text are never evaluated."""

from __future__ import annotations

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
            cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                                "data": displayed[-1]}]
        elif cell.cell_type == "code":
            exec(cell.source, ns)  # noqa: S102 - the test's own code
    return nb


def _render(cells):
    nb = new_notebook(cells=cells)
    inline.prepare(nb)
    inline.substitute(_evaluate(nb))
    return [c.source for c in nb.cells]


def test_a_false_guard_leaves_out_its_sentence_and_does_not_evaluate_it():
    md = ("Peak in `{python} peak`.`{python} when(peak != last)` In `{python} last` it was "
          "`{python} undefined_name`.`{python} end()` See the figure.")
    assert _render([new_code_cell("peak = last = 2023"), new_markdown_cell(md)]) == [
        "peak = last = 2023", "Peak in 2023. See the figure."]
    assert _render([new_code_cell("peak, last, undefined_name = 2023, 2025, 7"),
                    new_markdown_cell(md)])[1] == "Peak in 2023. In 2025 it was 7. See the figure."


def test_two_guards_choose_between_two_phrasings():
    md = ("peaked in `{python} p`,`{python} when(p == l)` the last year shown`{python} end()`"
          "`{python} when(p != l)` and fell by `{python} l`.`{python} end()`")
    assert _render([new_code_cell("p = l = 3"), new_markdown_cell(md)])[1] == (
        "peaked in 3, the last year shown")
    assert _render([new_code_cell("p, l = 3, 4"), new_markdown_cell(md)])[1] == (
        "peaked in 3, and fell by 4.")


def test_a_guard_without_end_reaches_the_end_of_the_cell_and_an_emptied_cell_is_dropped():
    def cells(rows):
        return [new_code_cell(f"rows = {rows}"),
                new_markdown_cell("`{python} when(rows)`There are `{python} rows[0]` rows.\n\nMore."),
                new_markdown_cell("`{python} when(not rows)`No rows.")]

    assert _render(cells([])) == ["rows = []", "No rows."]
    assert _render(cells([5])) == ["rows = [5]", "There are 5 rows.\n\nMore."]


def test_guards_span_lines_and_markers_never_reach_the_text():
    md = "A`{python} when(False)` b\nc `{python} x`\nd`{python} end()` e\n`{python} when(True)`f`{python} end()`"
    out = _render([new_code_cell("pass"), new_markdown_cell(md)])[1]
    assert out == "A e\nf"
    assert inline.OMIT not in out and inline.END not in out


def test_guards_nest_inside_a_left_out_cell_and_a_kept_one():
    md = ("`{python} when(n)`There are `{python} n[0]` rows`{python} when(len(n) > 1)` and more, "
          "`{python} n[1]``{python} end()`.`{python} when(not n)` Never.`{python} end()` Done.")
    assert _render([new_code_cell("n = []"), new_markdown_cell(md)]) == ["n = []"]
    assert _render([new_code_cell("n = [1]"), new_markdown_cell(md)])[1] == "There are 1 rows. Done."
    assert _render([new_code_cell("n = [1, 2]"), new_markdown_cell(md)])[1] == (
        "There are 1 rows and more, 2. Done.")


def test_guards_on_lines_of_their_own_never_split_a_paragraph():
    md = ("First.\n`{python} when(a)`Second.`{python} end()`\n`{python} when(b)`Third.`{python} end()`"
          "\nLast.\n\nNext paragraph.")
    assert _render([new_code_cell("a = b = False"), new_markdown_cell(md)])[1] == (
        "First.\nLast.\n\nNext paragraph.")
    assert _render([new_code_cell("a, b = False, True"), new_markdown_cell(md)])[1] == (
        "First.\nThird.\nLast.\n\nNext paragraph.")
