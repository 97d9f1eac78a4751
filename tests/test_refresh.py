"""An edit of a chapter's Markdown alone is placed into the executed notebook without executing."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from exile_report.execute import (
    ChapterRun,
    ExecutionError,
    chapter_fingerprint,
    code_fingerprint,
    execute_chapters,
)

INPUTS = "inputs-hash"


def _write(path, cells):
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nb.metadata["kernelspec"] = {
        "name": "exile-report",
        "language": "python",
        "display_name": "Python 3 (exile-report)",
    }
    nbformat.write(nb, path)


def _run(root, params=None):
    nb = root / "chapters" / "t.ipynb"
    params = params or {}
    run = ChapterRun(
        key="t",
        notebook=nb.relative_to(root),
        output=root / "_build" / "t.ipynb",
        params=params,
        fingerprint=chapter_fingerprint(nb, params, INPUTS),
        code_fingerprint=code_fingerprint(nb, params, INPUTS),
    )
    log = []
    execute_chapters([run], root, log=log.append)
    return run, log


CODE = ["n = 2 * 21", "m = n + 1"]


def _cells(first_md, second_md):
    return [
        new_code_cell(CODE[0]),
        new_markdown_cell(first_md),
        new_code_cell(CODE[1]),
        new_markdown_cell(second_md),
    ]


@pytest.mark.slow  # executes the notebook in a kernel
def test_markdown_edit_is_placed_without_execution_and_equals_a_fresh_execution(tmp_path):
    (tmp_path / "chapters").mkdir()
    src = tmp_path / "chapters" / "t.ipynb"
    _write(src, _cells("n is `{python} n`.", "m is `{python} m`."))
    run, _ = _run(tmp_path)
    assert run.executed

    # a new word and the same expressions at the same points: no execution
    _write(src, _cells("Now n is `{python} n`, again.", "And m is `{python} m`."))
    run, log = _run(tmp_path)
    assert not run.executed and run.refreshed
    assert any("only Markdown changed" in line for line in log)
    refreshed = run.output.read_bytes()
    text = [
        c.source for c in nbformat.reads(refreshed.decode(), 4).cells if c.cell_type == "markdown"
    ]
    assert text == ["Now n is 42, again.", "And m is 43."]

    # the same notebook executed from scratch gives the same bytes
    run.output.unlink()
    run, _ = _run(tmp_path)
    assert run.executed and run.output.read_bytes() == refreshed

    # nothing changed: up to date, neither executed nor refreshed
    run, log = _run(tmp_path)
    assert not run.executed and not run.refreshed
    assert any("up to date" in line for line in log)


@pytest.mark.slow  # executes the notebook in a kernel
def test_a_new_expression_or_a_code_edit_executes_again(tmp_path):
    (tmp_path / "chapters").mkdir()
    src = tmp_path / "chapters" / "t.ipynb"
    _write(src, _cells("n is `{python} n`.", "m is `{python} m`."))
    _run(tmp_path)

    # an expression never evaluated at that point of the chapter
    _write(src, _cells("n is `{python} n`.", "n + m is `{python} n + m`."))
    run, _ = _run(tmp_path)
    assert run.executed
    md = [c.source for c in nbformat.read(run.output, 4).cells if c.cell_type == "markdown"]
    assert md[1] == "n + m is 85."

    # the expression moved before the code cell that defines m: it is evaluated there again
    # (and fails, naming the cell) instead of taking the value it had further down
    _write(
        src,
        [
            new_code_cell(CODE[0]),
            new_markdown_cell("early: `{python} n + m`."),
            new_code_cell(CODE[1]),
            new_markdown_cell("n + m is `{python} n + m`."),
        ],
    )
    with pytest.raises(ExecutionError, match=r"Markdown cell 1: NameError"):
        _run(tmp_path)


@pytest.mark.slow  # executes the notebook in a kernel
def test_a_code_edit_is_never_refreshed(tmp_path):
    (tmp_path / "chapters").mkdir()
    src = tmp_path / "chapters" / "t.ipynb"
    _write(src, _cells("n is `{python} n`.", "m is `{python} m`."))
    _run(tmp_path)
    cells = _cells("n is `{python} n`.", "m is `{python} m`.")
    cells[0] = new_code_cell("n = 7")
    _write(src, cells)
    run, _ = _run(tmp_path)
    assert run.executed and not run.refreshed
    md = [c.source for c in nbformat.read(run.output, 4).cells if c.cell_type == "markdown"]
    assert md == ["n is 7.", "m is 8."]


@pytest.mark.slow  # executes the notebook in a kernel
def test_conditions_and_guards_are_replayed_from_the_kept_values(tmp_path):
    (tmp_path / "chapters").mkdir()
    src = tmp_path / "chapters" / "t.ipynb"
    setup = new_code_cell("from exile_report.inline import when, end\nn = 42\nflag = False")

    def cells(tail):
        return [
            setup,
            new_markdown_cell("<!-- if: flag -->\nNever shown: `{python} undefined_name`."),
            new_markdown_cell("<!-- if: not flag -->\nShown: `{python} n`."),
            new_markdown_cell("<!-- continue if: n > 40 -->\nIndeed."),
            new_markdown_cell(
                "`{python} when(n > 40)`Big: `{python} n`.`{python} end()`"
                "`{python} when(n < 0)` Never `{python} undefined_name`."
                f"`{{python}} end()` {tail}"
            ),
        ]

    _write(src, cells("First."))
    run, _ = _run(tmp_path)
    assert run.executed

    _write(src, cells("Second."))
    run, _ = _run(tmp_path)
    assert run.refreshed and not run.executed
    refreshed = run.output.read_bytes()
    md = [
        c.source for c in nbformat.reads(refreshed.decode(), 4).cells if c.cell_type == "markdown"
    ]
    assert md == ["Shown: 42. Indeed.\n", "Big: 42. Second."]

    run.output.unlink()
    run, _ = _run(tmp_path)
    assert run.executed and run.output.read_bytes() == refreshed
