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

Where the data decide which paragraph the chapter needs (a selection with no events, a year with
no data), a Markdown cell may start with a condition line::

    <!-- if: not events.empty -->
    @fig-timeline shows the `{python} len(events)` events ...

The condition is evaluated first, at the same point of the chapter; when it is false the cell is
left out of the book (its expressions are not evaluated), when true the line is removed. Jupyter
hides the comment, so the notebook still reads as prose.

A sentence the data decide at the end of a paragraph is a cell of its own that continues the
paragraph of the Markdown cell right before it: ``<!-- continue if: expr -->`` (or, for a cell
that joins the one before whenever that one is in the book, ``<!-- continue -->``).
"""

from __future__ import annotations

import json
import re

MIME = "application/vnd.exile-report.inline+json"
TAG = "exile-report-inline"
#: `{python} expr` with the expression up to the closing backtick (no backticks inside).
PATTERN = re.compile(r"`\{python\}[ \t]+([^`\n]+?)[ \t]*`")
_FENCE = re.compile(r"^\s*(```|~~~)")
#: A Markdown cell's optional first line: the condition under which the cell is in the book.
CONDITION = re.compile(
    r"\A[ \t]*<!--[ \t]*(continue)?[ \t]*(?:if:[ \t]*(.+?))?[ \t]*-->[ \t]*(?:\n|\Z)")


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


def condition(markdown: str) -> str | None:
    """The expression of a cell's ``<!-- if: expr -->`` (or ``continue if:``) first line, or None."""
    m = CONDITION.match(markdown)
    return m.group(2) if m else None


def continues(markdown: str) -> bool:
    """Whether the cell continues the paragraph of the Markdown cell before it."""
    m = CONDITION.match(markdown)
    return bool(m and m.group(1))


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
        cond = condition(_source(cell))
        if not exprs and cond is None:
            continue
        n += 1
        code = (f"__import__('exile_report.inline', fromlist=['evaluate']).evaluate("
                f"globals(), {exprs!r}, {index}" + (f", {cond!r})" if cond is not None else ")"))
        new = new_code_cell(code, metadata={"tags": [TAG]})
        new["id"] = f"inline-{index}"  # fixed ids: identical builds give identical notebooks
        cells.append(new)
    nb.cells = cells
    return n


def evaluate(namespace: dict, exprs: list[str], cell_index: int, cond: str | None = None) -> None:
    """Run in the kernel: evaluate ``cond`` (if any) and, when it holds, ``exprs`` in
    ``namespace``; display their text."""
    from IPython.display import display

    def value_of(expr: str, what: str):
        try:
            return eval(expr, namespace)  # the chapter's own code, like any cell
        except Exception as exc:  # noqa: BLE001 - reported with the expression and the cell
            raise InlineError(
                f"{what} `{expr}` in Markdown cell {cell_index}: "
                f"{type(exc).__name__}: {exc}") from None

    keep = True if cond is None else bool(value_of(cond, "condition"))
    values = [str(value_of(e, "inline expression {python}")) for e in exprs] if keep else []
    display({MIME: {"cell": cell_index, "values": values, "keep": keep}}, raw=True)


def substitute(nb) -> int:
    """Write the evaluated values into the Markdown cells and drop the evaluating cells.

    Returns the number of expressions replaced. Raises :class:`InlineError` when a Markdown cell
    has expressions but no values (its evaluating cell did not run)."""
    values: dict[int, list[str]] = {}
    dropped: set[int] = set()
    kept = []
    for cell in nb.cells:
        if TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {}).get(MIME)
                if data is not None:
                    if isinstance(data, str):
                        data = json.loads(data)
                    values[int(data["cell"])] = list(data["values"])
                    if not data.get("keep", True):
                        dropped.add(int(data["cell"]))
            continue
        kept.append(cell)
    # Indices in the hidden cells refer to the notebook before the hidden cells were inserted,
    # which is the notebook without them; papermill's injected-parameters cell shifts both alike
    # only if it came before them, so count Markdown cells by their position among ``kept``
    # minus the injected cell.
    original = [c for c in kept if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    n = 0
    joining: set[int] = set()
    for index, cell in enumerate(original):
        if cell.get("cell_type") != "markdown":
            continue
        src = _source(cell)
        cond = condition(src)
        if cond is not None:
            if index not in values:
                raise InlineError(f"Markdown cell {index}: its condition was not evaluated")
            if index in dropped:
                continue
        if CONDITION.match(src):
            if continues(src):
                joining.add(id(cell))
            cell["source"] = src = CONDITION.sub("", src, count=1)
        exprs = expressions(src)
        if not exprs:
            continue
        vals = values.get(index)
        if vals is None or len(vals) != len(exprs):
            raise InlineError(f"Markdown cell {index}: its inline expressions were not evaluated")
        cell["source"] = _replace(src, vals)
        n += len(vals)
    gone = {id(original[i]) for i in dropped}
    cells: list = []
    for cell in kept:
        if id(cell) in gone:
            continue
        if id(cell) in joining and cells and cells[-1].get("cell_type") == "markdown":
            before = cells[-1]
            before["source"] = _source(before).rstrip() + " " + _source(cell).strip() + "\n"
            continue
        cells.append(cell)
    nb.cells = cells
    return n


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
