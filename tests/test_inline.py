"""Quarto inline expressions in chapter Markdown: found, evaluated in the kernel, substituted."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from exile_report import inline, prose
from exile_report.execute import ChapterRun, ExecutionError, execute_one


def test_expressions_are_found_in_order_and_not_in_code_blocks():
    md = "A `{python} a` and `{python}  b + 1 ` here.\n```\n`{python} c`\n```\n`code` `{python} d`"
    assert inline.expressions(md) == ["a", "b + 1", "d"]


def test_prepare_and_substitute_round_trip_without_a_kernel():
    nb = new_notebook(
        cells=[
            new_code_cell("x = 1"),
            new_markdown_cell("x is `{python} x`."),
            new_markdown_cell("plain"),
        ]
    )
    assert inline.prepare(nb) == 1
    hidden = nb.cells[2]
    assert inline.TAG in hidden.metadata["tags"] and hidden["id"] == "inline-1"
    # what the kernel would display for the hidden cell
    hidden["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {inline.MIME: {"cell": 1, "values": ["1,000"], "evaluated": [["x", "1,000"]]}},
        }
    ]
    assert inline.substitute(nb) == [[1, "x", "1,000"]]
    assert [c.source for c in nb.cells] == ["x = 1", "x is 1,000.", "plain"]


def test_a_markdown_cell_whose_values_are_missing_is_an_error():
    nb = new_notebook(cells=[new_markdown_cell("`{python} x`")])
    with pytest.raises(inline.InlineError, match="Markdown cell 0"):
        inline.substitute(nb)


def _run(tmp_path, cells, params=None):
    (tmp_path / "chapters").mkdir()
    path = tmp_path / "chapters" / "t.ipynb"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "exile-report",
        "language": "python",
        "display_name": "Python 3 (exile-report)",
    }
    nbformat.write(nb, path)
    run = ChapterRun(
        key="t",
        notebook=path.relative_to(tmp_path),
        output=tmp_path / "_build" / "t.ipynb",
        params=params or {},
        fingerprint="f",
    )
    execute_one(run, tmp_path)
    return json.loads(run.output.read_text())


@pytest.mark.slow  # executes the notebook in a kernel
def test_values_are_computed_in_the_kernel_at_the_point_of_the_markdown(tmp_path):
    out = _run(
        tmp_path,
        [
            new_code_cell("from exile_report import prose\nn = 12345"),
            new_markdown_cell(
                "We count `{python} prose.num(n)` people, `{python} prose.pct(0.25)`."
            ),
            new_code_cell("n = 1"),
            new_markdown_cell("Then `{python} n`."),
        ],
    )
    md = ["".join(c["source"]) for c in out["cells"] if c["cell_type"] == "markdown"]
    assert md == ["We count 12,345 people, 25%.", "Then 1."]
    assert not any(inline.TAG in c["metadata"].get("tags", []) for c in out["cells"])


@pytest.mark.slow  # executes the notebook in a kernel
def test_a_failing_expression_names_the_chapter_and_markdown_cell(tmp_path):
    with pytest.raises(ExecutionError, match=r"chapter t .*Markdown cell 1.*NameError"):
        _run(tmp_path, [new_code_cell("a = 1"), new_markdown_cell("`{python} missing_name`")])


def test_prose_formats():
    assert prose.num(1234567) == "1,234,567" and prose.num(3053.5999, 1) == "3,053.6"
    assert prose.pct(0.731) == "73%" and prose.pct(0.289, 1) == "28.9%"
    assert prose.date("2022-02-24") == "24 February 2022"
    assert prose.date("2022-03-01", "month") == "March 2022"
    assert prose.cite("unhcr_2026_refugees; ovd_2024_nd") == "[@unhcr_2026_refugees; @ovd_2024_nd]"
    assert prose.cite(["ovd_2024_nd", "ovd_2024_nd"]) == "[@ovd_2024_nd]"
    assert prose.listing(["x", "y", "z"]) == "x, y and z"
    assert prose.text("*x* [@k](javascript:1) <b>") == r"\*x\* \[\@k\](javascript\:1) \<b\>"
    assert prose.cite("not a key") == r"\[\@not a key\]"


# ------------------------------------------------- a Markdown cell chosen by a computed flag


def test_condition_is_read_from_the_first_line_only():
    assert inline.condition("<!-- if: not ev.empty -->\nText") == "not ev.empty"
    assert inline.condition("Text\n<!-- if: x -->") is None
    assert inline.condition("<!-- a comment -->\nText") is None


@pytest.mark.slow  # executes the chapter in a kernel
def test_the_data_choose_the_paragraph_and_skipped_cells_are_not_evaluated(tmp_path):
    param = new_code_cell("n = 0", metadata={"tags": ["parameters"]})
    out = _run(
        tmp_path,
        [
            param,
            new_markdown_cell("<!-- if: n > 0 -->\nThere are `{python} 10 // n` items."),
            new_markdown_cell("<!-- if: n == 0 -->\nThere is nothing to count."),
            new_markdown_cell("Always `{python} n + 1`."),
        ],
        params={"n": 0},
    )
    md = ["".join(c["source"]) for c in out["cells"] if c["cell_type"] == "markdown"]
    # the first cell would divide by zero: it is dropped without evaluating its expressions
    assert md == ["There is nothing to count.", "Always 1."]
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in out["cells"])


@pytest.mark.slow  # executes the chapter in a kernel
def test_a_true_condition_keeps_the_cell_without_its_condition_line(tmp_path):
    out = _run(
        tmp_path,
        [
            new_code_cell("n = 5"),
            new_markdown_cell("<!-- if: n > 0 -->\nThere are `{python} 10 // n`."),
        ],
    )
    md = ["".join(c["source"]) for c in out["cells"] if c["cell_type"] == "markdown"]
    assert md == ["There are 2."]


def test_a_continuing_cell_joins_the_paragraph_before_it_only_when_kept():
    assert (
        inline.continues("<!-- continue if: x -->\nmore")
        and inline.condition("<!-- continue if: x > 1 -->\nmore") == "x > 1"
    )
    assert (
        inline.continues("<!-- continue -->\nmore")
        and inline.condition("<!-- continue -->\n") is None
    )
    assert not inline.continues("<!-- if: x -->\nmore")
    nb = new_notebook(
        cells=[
            new_code_cell("n = 3"),
            new_markdown_cell("There are `{python} n`."),
            new_markdown_cell("<!-- continue if: n > 5 -->\nThat is many."),
            new_markdown_cell("<!-- continue if: n < 5 -->\nThat is few (`{python} n`)."),
            new_code_cell("pass"),
            new_markdown_cell("<!-- continue -->\nA new paragraph: no Markdown cell right before."),
        ]
    )
    assert inline.prepare(nb) == 3  # the unconditional continuing cell needs no evaluation
    for cell in nb.cells:  # what the kernel would display for each hidden cell
        if inline.TAG in cell.metadata.get("tags", []):
            index = int(cell["id"].split("-")[1])
            keep = index != 2
            cell["outputs"] = [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {
                        inline.MIME: {"cell": index, "values": ["3"] if keep else [], "keep": keep}
                    },
                }
            ]
    inline.substitute(nb)
    assert [c.source for c in nb.cells] == [
        "n = 3",
        "There are 3. That is few (3).\n",
        "pass",
        "A new paragraph: no Markdown cell right before.",
    ]
