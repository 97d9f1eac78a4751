"""Quarto ``ipynb-filters`` entry: print the executed copy of the chapter notebook on stdin.

Quarto runs this in the notebook's folder with the committed notebook (no outputs) on stdin; the
build (papermill, once per change) wrote the executed copy to ``_build/executed/<name>``, and that
is what Quarto renders. Standard library only: Quarto runs it with its own Python.
"""

import json
import sys
from pathlib import Path

source = json.loads(sys.stdin.read())
here = Path.cwd()
names = [p.name for p in sorted(here.glob("*.ipynb"))
         if json.loads(p.read_text(encoding="utf-8")) == source]
if len(names) != 1:
    sys.exit(f"error: {here}: the notebook Quarto passed matches {len(names)} chapter notebooks")
root = next(p for p in (here, *here.parents) if (p / "_quarto.yml").is_file())
executed = root / "_build" / "executed" / names[0]
if not executed.is_file():
    sys.exit(f"error: {executed} not found: run `make report` (or `quarto render`, whose "
             "pre-render step executes the chapters) first")
sys.stdout.write(executed.read_text(encoding="utf-8"))
