"""An edit of a chapter's Markdown alone does not execute the chapter again.

The executed notebook keeps the hash of the chapter's code cells, parameters and inputs
(``code_fingerprint``) and the value of every inline expression at its point of the chapter
(see :mod:`exile_report.inline`). When the code fingerprint still matches, the new Markdown cells
are placed between the executed code cells, their expressions filled from those values; the
result is the notebook a new execution would have written. When a Markdown cell holds an
expression not evaluated before at that point, or the code cells differ, the chapter is executed.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from . import inline
from .execute import ChapterRun, files_intact


def refresh_markdown(run: ChapterRun, root: Path) -> bool:
    """Update ``run.output`` with the Markdown of ``run.notebook``; False when it must execute."""
    if not run.code_fingerprint or not run.output.is_file():
        return False
    try:
        executed = json.loads(run.output.read_text(encoding="utf-8"))
        source = json.loads((root / run.notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    meta = executed.get("metadata", {}).get("exile_report")
    if not isinstance(meta, dict) or meta.get("code_fingerprint") != run.code_fingerprint:
        return False
    if not files_intact(meta, root):
        return False
    cells = _merge(source.get("cells", []), executed.get("cells", []), meta.get("inline", []))
    if cells is None:
        return False
    executed["cells"] = cells
    meta["fingerprint"] = run.fingerprint
    import nbformat

    nb = nbformat.from_dict(executed)
    tmp = run.output.with_suffix(".refresh.ipynb")
    nbformat.write(nb, tmp)
    os.replace(tmp, run.output)
    run.refreshed = True
    return True


def _text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _merge(source_cells: list, executed_cells: list, values: list) -> list | None:
    """The executed code cells in order, with the source's Markdown and raw cells between them."""
    known = {(int(c), str(e)): str(v) for c, e, v in values}
    injected = [
        c for c in executed_cells if "injected-parameters" in c.get("metadata", {}).get("tags", [])
    ]
    code = [c for c in executed_cells if c.get("cell_type") == "code" and c not in injected]
    out, code_before, joining = [], 0, set()
    for cell in source_cells:
        kind = cell.get("cell_type")
        if kind == "code":
            if code_before >= len(code) or _text(code[code_before]) != _text(cell):
                return None
            out.append(code[code_before])
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                out += injected
            code_before += 1
            continue
        new = copy.deepcopy(cell)
        if kind == "markdown":
            filled = inline.fill(_text(cell), code_before, known)
            if filled is None:
                return None
            if filled == "" and _text(cell) != "":
                continue  # left out by its condition or guards, as an execution would
            new["source"] = filled
            if inline.continues(_text(cell)):
                joining.add(id(new))
        new.setdefault("metadata", {}).setdefault("papermill", {})
        new["metadata"].setdefault("tags", [])
        out.append(new)
    if code_before != len(code):
        return None
    return inline.assemble(out, joining)
