"""Quarto inline expressions in chapter notebooks, evaluated when papermill executes a chapter.

A chapter's narrative is Markdown; computed values enter it as Quarto inline expressions::

    The register holds `{python} prose.num(len(reg))` figures.

Before papermill runs a chapter, :func:`prepare` puts a hidden code cell right after every
Markdown cell that holds inline expressions. That cell evaluates the cell's expressions in the
kernel, with the values the chapter has computed up to that point, and returns their text as one
output of the type :data:`MIME`. After execution, :func:`substitute` writes the values into the
Markdown cells and removes the hidden cells, so the executed notebook holds plain Markdown that
any renderer (the built-in engine or Quarto itself) reads as it is.

Like Quarto, the value of an expression is written as Markdown: ``str(value)``. Pre-format values
with :mod:`exile_report.prose` (numbers, percentages, dates, citations) and escape data text with
``prose.text``.
"""

from __future__ import annotations

import json
import re

MIME = "application/vnd.exile-report.inline+json"
TAG = "exile-report-inline"
#: `{python} expr` with the expression up to the closing backtick (no backticks inside).
PATTERN = re.compile(r"`\{python\}[ \t]+([^`\n]+?)[ \t]*`")
_FENCE = re.compile(r"^\s*(```|~~~)")


class InlineError(RuntimeError):
    """An inline expression could not be evaluated; the message names the Markdown cell."""


def expressions(markdown: str) -> list[str]:
    """The inline expressions of a Markdown text, in order, outside fenced code blocks."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            found += [m.group(1) for m in PATTERN.finditer(line)]
    return found


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def prepare(nb) -> int:
    """Insert an evaluating cell after each Markdown cell with inline expressions; returns the
    number of cells inserted. ``nb`` is an nbformat notebook, changed in place."""
    from nbformat.v4 import new_code_cell

    cells, n = [], 0
    for index, cell in enumerate(nb.cells):
        cells.append(cell)
        if cell.get("cell_type") != "markdown":
            continue
        exprs = expressions(_source(cell))
        if not exprs:
            continue
        n += 1
        code = (f"__import__('exile_report.inline', fromlist=['evaluate']).evaluate("
                f"globals(), {exprs!r}, {index})")
        new = new_code_cell(code, metadata={"tags": [TAG]})
        new["id"] = f"inline-{index}"  # fixed ids: identical builds give identical notebooks
        cells.append(new)
    nb.cells = cells
    return n


def evaluate(namespace: dict, exprs: list[str], cell_index: int) -> None:
    """Run in the kernel: evaluate ``exprs`` in ``namespace`` and display their text."""
    from IPython.display import display

    values = []
    for expr in exprs:
        try:
            value = eval(expr, namespace)  # the chapter's own code, like any cell
        except Exception as exc:  # noqa: BLE001 - reported with the expression and the cell
            raise InlineError(
                f"inline expression `{{python}} {expr}` in Markdown cell {cell_index}: "
                f"{type(exc).__name__}: {exc}") from None
        values.append(str(value))
    display({MIME: {"cell": cell_index, "values": values}}, raw=True)


def substitute(nb) -> list[list]:
    """Write the evaluated values into the Markdown cells and drop the evaluating cells.

    Returns one record ``[code_cells_before, expression, value]`` per expression replaced: the
    value an expression has after the chapter's first ``code_cells_before`` code cells (kept with
    the executed notebook, so an edit of the Markdown alone needs no new execution, see
    :mod:`exile_report.refresh`). Raises :class:`InlineError` when a Markdown cell has
    expressions but no values (its evaluating cell did not run)."""
    values: dict[int, list[str]] = {}
    kept = []
    for cell in nb.cells:
        if TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {}).get(MIME)
                if data is not None:
                    if isinstance(data, str):
                        data = json.loads(data)
                    values[int(data["cell"])] = list(data["values"])
            continue
        kept.append(cell)
    # Indices in the hidden cells refer to the notebook before the hidden cells were inserted,
    # which is the notebook without them; papermill's injected-parameters cell shifts both alike
    # only if it came before them, so count Markdown cells by their position among ``kept``
    # minus the injected cell.
    original = [c for c in kept if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    records: list[list] = []
    code_before = 0
    for index, cell in enumerate(original):
        if cell.get("cell_type") == "code":
            code_before += 1
        if cell.get("cell_type") != "markdown":
            continue
        src = _source(cell)
        exprs = expressions(src)
        if not exprs:
            continue
        vals = values.get(index)
        if vals is None or len(vals) != len(exprs):
            raise InlineError(f"Markdown cell {index}: its inline expressions were not evaluated")
        cell["source"] = _replace(src, vals)
        records += [[code_before, e, v] for e, v in zip(exprs, vals, strict=True)]
    nb.cells = kept
    return records


def fill(markdown: str, code_before: int, known: dict[tuple[int, str], str]) -> str | None:
    """``markdown`` with its expressions replaced by values already known for that point of the
    chapter (``(code_before, expression) -> value``); None when one of them is not known."""
    exprs = expressions(markdown)
    if any((code_before, e) not in known for e in exprs):
        return None
    return _replace(markdown, [known[(code_before, e)] for e in exprs]) if exprs else markdown


def _replace(markdown: str, values: list[str]) -> str:
    it = iter(values)
    out, fenced = [], False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            line = PATTERN.sub(lambda _m: next(it), line)
        out.append(line)
    return "\n".join(out)
