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

Where the data decide what is said, the text stays Markdown and is chosen in one of two ways:

- a whole paragraph: the Markdown cell starts with a condition line::

      <!-- if: not events.empty -->
      @fig-timeline shows the `{python} len(events)` events ...

  The condition is evaluated first, at the same point of the chapter; when it is false the cell is
  left out of the book (its expressions are not evaluated), when true the line is removed. Jupyter
  hides the comment, so the notebook still reads as prose. A sentence the data decide at the end
  of a paragraph is a cell of its own that continues the paragraph of the Markdown cell right
  before it: ``<!-- continue if: expr -->`` (or ``<!-- continue -->`` for a cell that joins the
  one before whenever both are in the book).
- a clause or sentence inside a paragraph: :func:`when` and :func:`end`::

      `{python} when(peak != last)`In `{python} last` it was lower.`{python} end()`

  When the flag is false the text from ``when`` up to the next ``end()`` (or to the end of the
  cell) is left out, and the expressions inside it are not evaluated. Guards nest (write them as
  ``when(…)`` and ``end()``: inside left-out text they are matched by their spelling, since
  nothing there is evaluated).

A Markdown cell left with no text is dropped. The value of every expression evaluated is kept
with the executed notebook, by its point in the chapter (:func:`substitute`), so an edit of the
Markdown alone can be placed without a new execution (:func:`fill`, :mod:`exile_report.refresh`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

MIME = "application/vnd.exile-report.inline+json"
TAG = "exile-report-inline"
#: `{python} expr` with the expression up to the closing backtick (no backticks inside).
PATTERN = re.compile(r"`\{python\}[ \t]+([^`\n]+?)[ \t]*`")
_FENCE = re.compile(r"^\s*(```|~~~)")
#: A Markdown cell's optional first line: the condition under which the cell is in the book.
CONDITION = re.compile(
    r"\A[ \t]*<!--[ \t]*(continue)?[ \t]*(?:if:[ \t]*(.+?))?[ \t]*-->[ \t]*(?:\n|\Z)"
)
#: Values of ``when(False)`` and ``end()``: they mark the text left out, and never reach a reader.
OMIT, END = "\x00exile-report:omit\x00", "\x00exile-report:end\x00"
_OMITTED = re.compile(re.escape(OMIT) + r".*?(?:" + re.escape(END) + r"|\Z)", re.DOTALL)
_WHEN_EXPR, _END_EXPR = "when(", "end()"
_GONE = "\x00exile-report:gone\x00"


class InlineError(RuntimeError):
    """An inline expression could not be evaluated; the message names the Markdown cell."""


def when(condition) -> str:
    """Guard for the Markdown that follows, up to ``end()`` or the end of the cell: it is kept
    when ``condition`` holds and left out (its expressions not evaluated) when it does not."""
    return "" if condition else OMIT


def end() -> str:
    """Closes the text guarded by the last :func:`when`."""
    return END


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


def assemble(cells: list, joining: set[int]) -> list:
    """The cells in order, each cell whose ``id`` is in ``joining`` appended to the paragraph of
    the Markdown cell right before it (when the cell before is Markdown)."""
    out: list = []
    for cell in cells:
        if id(cell) in joining and out and out[-1].get("cell_type") == "markdown":
            before = out[-1]
            before["source"] = _source(before).rstrip() + " " + _source(cell).strip() + "\n"
            continue
        out.append(cell)
    return out


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def prepare(nb) -> int:
    """Insert an evaluating cell after each Markdown cell with inline expressions or a condition;
    returns the number of cells inserted. ``nb`` is an nbformat notebook, changed in place."""
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
        code = (
            f"__import__('exile_report.inline', fromlist=['evaluate']).evaluate("
            f"globals(), {exprs!r}, {index}" + (f", {cond!r})" if cond is not None else ")")
        )
        new = new_code_cell(code, metadata={"tags": [TAG]})
        new["id"] = f"inline-{index}"  # fixed ids: identical builds give identical notebooks
        cells.append(new)
    nb.cells = cells
    return n


def _condition_key(cond: str) -> str:
    return f"<!-- if: {cond} -->"


def _resolve(exprs: list[str], cond: str | None, value_of: Callable[[str, str], str]):
    """(keep, values, evaluated) of one Markdown cell; ``value_of(expression, what)`` gives an
    expression's text (``what`` names it in errors). Expressions inside a false :func:`when` are
    not evaluated: their places get the markers that :func:`_final_text` removes."""
    evaluated: list[list[str]] = []
    if cond is not None:
        truth = value_of(cond, "condition")
        evaluated.append([_condition_key(cond), truth])
        if truth != "True":
            return False, [], evaluated
    values, depth = [], 0  # depth > 0: inside a false `when`, counting the guards nested in it
    for expr in exprs:
        if depth:  # left out: not evaluated (its names may not even be defined)
            depth += expr.startswith(_WHEN_EXPR) - (expr == _END_EXPR)
            values.append("" if depth else END)
            continue
        values.append(value_of(expr, "inline expression {python}"))
        evaluated.append([expr, values[-1]])
        depth = int(values[-1] == OMIT)
    return True, values, evaluated


def evaluate(namespace: dict, exprs: list[str], cell_index: int, cond: str | None = None) -> None:
    """Run in the kernel: evaluate the cell's condition (if any) and, when it holds, its
    expressions in ``namespace``; display their text."""
    from IPython.display import display

    def value_of(expr: str, what: str) -> str:
        try:
            value = eval(expr, namespace)  # the chapter's own code, like any cell
        except Exception as exc:  # noqa: BLE001 - reported with the expression and the cell
            raise InlineError(
                f"{what} `{expr}` in Markdown cell {cell_index}: {type(exc).__name__}: {exc}"
            ) from None
        return str(bool(value)) if what == "condition" else str(value)

    keep, values, evaluated = _resolve(exprs, cond, value_of)
    display(
        {MIME: {"cell": cell_index, "keep": keep, "values": values, "evaluated": evaluated}},
        raw=True,
    )


def _final_text(markdown: str, keep: bool, values: list[str]) -> str:
    """The Markdown a reader gets: condition line gone, values in place, left-out text removed
    (a line that held nothing else goes too, so guards on lines of their own never leave a blank
    line that would split a paragraph). '' when the cell is left out."""
    if not keep:
        return ""
    markdown = CONDITION.sub("", markdown, count=1)
    text = _OMITTED.sub(_GONE, _replace(markdown, values)).replace(END, "")
    lines = [
        line for line in text.split("\n") if _GONE not in line or line.replace(_GONE, "").strip()
    ]
    text = "\n".join(lines).replace(_GONE, "")
    return text if text.strip() else ""


def substitute(nb) -> list[list]:
    """Write the evaluated values into the Markdown cells and drop the evaluating cells, and the
    Markdown cells left without text.

    Returns one record ``[code_cells_before, expression, value]`` per expression evaluated: the
    value an expression has after the chapter's first ``code_cells_before`` code cells (kept with
    the executed notebook, so an edit of the Markdown alone needs no new execution, see
    :func:`fill`). Raises :class:`InlineError` when a Markdown cell has expressions or a
    condition but no values (its evaluating cell did not run)."""
    results: dict[int, dict] = {}
    kept = []
    for cell in nb.cells:
        if TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {}).get(MIME)
                if data is not None:
                    if isinstance(data, str):
                        data = json.loads(data)
                    results[int(data["cell"])] = data
            continue
        kept.append(cell)
    # Indices in the hidden cells refer to the notebook before they were inserted and before
    # papermill injected its parameters cell: the notebook without both.
    original = [
        c for c in kept if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]
    records: list[list] = []
    emptied: set[int] = set()
    joining: set[int] = set()
    code_before = 0
    for index, cell in enumerate(original):
        if cell.get("cell_type") == "code":
            code_before += 1
        if cell.get("cell_type") != "markdown":
            continue
        src = _source(cell)
        exprs, cond = expressions(src), condition(src)
        if continues(src):
            joining.add(id(cell))
        if not exprs and cond is None:
            if CONDITION.match(src):  # a bare <!-- continue -->
                cell["source"] = _final_text(src, True, [])
            continue
        data = results.get(index)
        if data is None or (data.get("keep", True) and len(data["values"]) != len(exprs)):
            raise InlineError(f"Markdown cell {index}: its inline expressions were not evaluated")
        records += [[code_before, e, v] for e, v in data.get("evaluated", [])]
        text = _final_text(src, data.get("keep", True), list(data["values"]))
        if not text:
            emptied.add(id(cell))
        cell["source"] = text
    nb.cells = assemble([c for c in kept if id(c) not in emptied], joining)
    return records


def fill(markdown: str, code_before: int, known: dict[tuple[int, str], str]) -> str | None:
    """What :func:`substitute` would make of ``markdown`` at that point of the chapter, from the
    values known there (``(code_cells_before, expression) -> value``); None when it needs a value
    not evaluated before ('' when the cell is left out)."""

    class Unknown(Exception):
        pass

    def value_of(expr: str, what: str) -> str:
        key = (code_before, _condition_key(expr) if what == "condition" else expr)
        if key not in known:
            raise Unknown
        return known[key]

    exprs, cond = expressions(markdown), condition(markdown)
    if not exprs and cond is None:
        return _final_text(markdown, True, []) if CONDITION.match(markdown) else markdown
    try:
        keep, values, _ = _resolve(exprs, cond, value_of)
    except Unknown:
        return None
    return _final_text(markdown, keep, values)


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
