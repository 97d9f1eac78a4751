"""Create a chapter notebook skeleton: a tagged ``parameters`` cell and the setup cell.

Usage: python tools/new_notebook.py CHAPTER_KEY PATH "Title" sec-id
Defaults come from params.yml so the notebook runs on its own with the book's defaults.
"""

import sys
from pathlib import Path

import nbformat
import yaml

key, path, title, sec = sys.argv[1:5]
defaults = yaml.safe_load(Path("params.yml").read_text())["defaults"][key]
params_src = "\n".join(f"{k} = {v!r}" for k, v in defaults.items())
nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {
    "name": "exile-report",
    "display_name": "Python 3 (exile-report)",
    "language": "python",
}
nb.metadata["language_info"] = {"name": "python"}
nb.cells = [
    nbformat.v4.new_code_cell(
        "# Parameters: the book's defaults (params.yml); papermill overrides them.\n" + params_src,
        metadata={"tags": ["parameters"]},
    ),
    nbformat.v4.new_code_cell(
        "#| include: false\nfrom exile_report.notebook import setup\n\n"
        f"P = setup({key!r}, globals())"
    ),
    nbformat.v4.new_markdown_cell(f"# {title} {{#{sec}}}\n"),
]
for c in nb.cells:
    c.pop("id", None)
nbformat.write(nb, path)
