"""Quarto ``ipynb-filters`` entry: print the executed copy of the chapter notebook on stdin.

Quarto runs this in the notebook's folder with the committed notebook (no outputs) on stdin; the
build (papermill, once per change) wrote the executed copy to ``_build/executed/<name>``, and that
is what Quarto renders. Standard library only: Quarto runs it with its own Python.

Two adaptations. An alt text computed from the data (``save_figure(..., alt=...)``, kept in the
image output's metadata) replaces the cell's ``#| fig-alt:`` line, as the built-in engine does.
And the Markdown output that ``save_figure`` and ``show_table`` write under a figure or
table (``::: {.figure-meta}``: source line and download links) becomes a Markdown cell right after
its code cell. Quarto would otherwise count it as a second output of the labelled cell and make
the figure a pair of sub-figures; the built-in engine reads it where it is.
"""

import json
import sys
from pathlib import Path

source = json.loads(sys.stdin.read())
here = Path.cwd()
names = [
    p.name
    for p in sorted(here.glob("*.ipynb"))
    if json.loads(p.read_text(encoding="utf-8")) == source
]
if len(names) != 1:
    sys.exit(f"error: {here}: the notebook Quarto passed matches {len(names)} chapter notebooks")
root = next(p for p in (here, *here.parents) if (p / "_quarto.yml").is_file())
executed = root / "_build" / "executed" / names[0]
if not executed.is_file():
    sys.exit(
        f"error: {executed} not found: run `make report` (or `quarto render`, whose "
        "pre-render step executes the chapters) first"
    )
META = "::: {.figure-meta}"


def text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def hidden(cell) -> bool:
    options = [
        line[3:].replace(" ", "")
        for line in text(cell.get("source")).splitlines()
        if line.startswith("#| ")
    ]
    tags = set((cell.get("metadata") or {}).get("tags") or [])
    return bool({"include:false", "output:false"} & set(options)) or bool(
        {"remove-output", "remove-cell", "parameters", "injected-parameters"} & tags
    )


def computed_alt(cell) -> str:
    for output in cell.get("outputs") or []:
        meta = output.get("metadata") or {}
        found = [meta.get("exile_report")] + [
            v.get("exile_report") for v in meta.values() if isinstance(v, dict)
        ]
        for m in found:
            if m and m.get("alt"):
                return str(m["alt"])
    return ""


def with_alt(cell, alt: str) -> None:
    lines = text(cell.get("source")).splitlines(keepends=True)
    cell["source"] = [
        f"#| fig-alt: {json.dumps(alt, ensure_ascii=False)}\n"
        if line.startswith("#| fig-alt:")
        else line
        for line in lines
    ]


notebook = json.loads(executed.read_text(encoding="utf-8"))
cells = []
for cell in notebook.get("cells", []):
    cells.append(cell)
    if cell.get("cell_type") != "code":
        continue
    alt = computed_alt(cell)
    if alt:
        with_alt(cell, alt)
    kept = []
    for output in cell.get("outputs") or []:
        md = text((output.get("data") or {}).get("text/markdown"))
        if output.get("output_type") == "display_data" and md.lstrip().startswith(META):
            if not hidden(cell):
                lines = ("\n" + md.strip("\n") + "\n").splitlines(keepends=True)
                cells.append({"cell_type": "markdown", "metadata": {}, "source": lines})
        else:
            kept.append(output)
    cell["outputs"] = kept
notebook["cells"] = cells
json.dump(notebook, sys.stdout, ensure_ascii=False)
