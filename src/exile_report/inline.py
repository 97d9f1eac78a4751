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

Where the data decide whether a sentence or a paragraph is said at all, the text stays Markdown
and is guarded with :func:`when` and :func:`end`::

    `{python} when(peak != last)`In `{python} last` it was lower.`{python} end()`

When the flag is false the text from ``when`` up to the next ``end()`` (or to the end of the
cell) is left out, and the expressions inside it are not evaluated; a Markdown cell left with no
text is dropped. Guards nest (write them as ``when(…)`` and ``end()``: inside left-out text they
are matched by their spelling, since nothing there is evaluated).
"""

from __future__ import annotations

import json
import re

MIME = "application/vnd.exile-report.inline+json"
TAG = "exile-report-inline"
#: `{python} expr` with the expression up to the closing backtick (no backticks inside).
PATTERN = re.compile(r"`\{python\}[ \t]+([^`\n]+?)[ \t]*`")
_FENCE = re.compile(r"^\s*(```|~~~)")
#: Values of ``when(False)`` and ``end()``: they mark the text left out, and never reach a reader.
OMIT, END = "\x00exile-report:omit\x00", "\x00exile-report:end\x00"
_OMITTED = re.compile(re.escape(OMIT) + r".*?(?:" + re.escape(END) + r"|\Z)", re.DOTALL)
_WHEN_EXPR, _END_EXPR = "when(", "end()"
_GONE = "\x00exile-report:gone\x00"


def when(condition) -> str:
    """Guard for the Markdown that follows, up to ``end()`` or the end of the cell: it is kept
    when ``condition`` holds and left out (its expressions not evaluated) when it does not."""
    return "" if condition else OMIT


def end() -> str:
    """Closes the text guarded by the last :func:`when`."""
    return END


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

    values, depth = [], 0  # depth > 0: inside a false `when`, counting the guards nested in it
    for expr in exprs:
        if depth:  # left out: not evaluated (its names may not even be defined)
            depth += expr.startswith(_WHEN_EXPR) - (expr == _END_EXPR)
            values.append("" if depth else END)
            continue
        try:
            value = eval(expr, namespace)  # the chapter's own code, like any cell
        except Exception as exc:  # noqa: BLE001 - reported with the expression and the cell
            raise InlineError(
                f"inline expression `{{python}} {expr}` in Markdown cell {cell_index}: "
                f"{type(exc).__name__}: {exc}") from None
        values.append(str(value))
        depth = int(values[-1] == OMIT)
    display({MIME: {"cell": cell_index, "values": values}}, raw=True)


def substitute(nb) -> int:
    """Write the evaluated values into the Markdown cells and drop the evaluating cells.

    Text guarded by a false :func:`when` is removed, and a Markdown cell left without text is
    dropped. Returns the number of expressions replaced. Raises :class:`InlineError` when a Markdown cell
    has expressions but no values (its evaluating cell did not run)."""
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
    n, emptied = 0, set()
    for index, cell in enumerate(original):
        if cell.get("cell_type") != "markdown":
            continue
        src = _source(cell)
        exprs = expressions(src)
        if not exprs:
            continue
        vals = values.get(index)
        if vals is None or len(vals) != len(exprs):
            raise InlineError(f"Markdown cell {index}: its inline expressions were not evaluated")
        text = _leave_out(_replace(src, vals))
        if not text.strip():
            emptied.add(id(cell))
        cell["source"] = text
        n += len(vals)
    nb.cells = [c for c in kept if id(c) not in emptied]
    return n


def _leave_out(markdown: str) -> str:
    """Remove the text of false guards; a line that held nothing else goes too, so guards on
    lines of their own never leave a blank line (which would split a paragraph)."""
    text = _OMITTED.sub(_GONE, markdown).replace(END, "")
    lines = [line for line in text.split("\n")
             if _GONE not in line or line.replace(_GONE, "").strip()]
    return "\n".join(lines).replace(_GONE, "")


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
