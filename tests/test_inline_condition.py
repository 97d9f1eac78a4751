"""A Markdown cell chosen by a computed flag: ``<!-- if: expr -->`` on its first line."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from exile_report import inline
from exile_report.execute import ChapterRun, execute_one


def _run(tmp_path, cells, params=None):
    (tmp_path / "chapters").mkdir()
    path = tmp_path / "chapters" / "t.ipynb"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "exile-report", "language": "python",
                                 "display_name": "Python 3 (exile-report)"}
    nbformat.write(nb, path)
    run = ChapterRun(key="t", notebook=path.relative_to(tmp_path),
                     output=tmp_path / "_build" / "t.ipynb", params=params or {}, fingerprint="f")
    execute_one(run, tmp_path)
    return json.loads(run.output.read_text())


def test_condition_is_read_from_the_first_line_only():
    assert inline.condition("<!-- if: not ev.empty -->\nText") == "not ev.empty"
    assert inline.condition("Text\n<!-- if: x -->") is None
    assert inline.condition("<!-- a comment -->\nText") is None


@pytest.mark.slow  # executes the chapter in a kernel
def test_the_data_choose_the_paragraph_and_skipped_cells_are_not_evaluated(tmp_path):
    param = new_code_cell("n = 0", metadata={"tags": ["parameters"]})
    out = _run(tmp_path, [
        param,
        new_markdown_cell("<!-- if: n > 0 -->\nThere are `{python} 10 // n` items."),
        new_markdown_cell("<!-- if: n == 0 -->\nThere is nothing to count."),
        new_markdown_cell("Always `{python} n + 1`."),
    ], params={"n": 0})
    md = ["".join(c["source"]) for c in out["cells"] if c["cell_type"] == "markdown"]
    # the first cell would divide by zero: it is dropped without evaluating its expressions
    assert md == ["There is nothing to count.", "Always 1."]
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in out["cells"])


@pytest.mark.slow  # executes the chapter in a kernel
def test_a_true_condition_keeps_the_cell_without_its_condition_line(tmp_path):
    out = _run(tmp_path, [new_code_cell("n = 5"),
                          new_markdown_cell("<!-- if: n > 0 -->\nThere are `{python} 10 // n`.")])
    md = ["".join(c["source"]) for c in out["cells"] if c["cell_type"] == "markdown"]
    assert md == ["There are 2."]
