"""Create a chapter notebook skeleton: a tagged ``parameters`` cell and the setup cell.

Usage: python tools/new_notebook.py CHAPTER_KEY PATH "Title" sec-id
Defaults come from the chapter's declared parameters so the notebook runs on its own with the
book's defaults (declare the chapter's PARAMETERS and add it to params.CHAPTER_MODULES first).
"""

import sys

import nbformat

from exile_report.params import defaults as declared_defaults

key, path, title, sec = sys.argv[1:5]
defaults = declared_defaults()[key]
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
        "# Parameters: the book's defaults (declared in exile_report.analysis); papermill overrides them.\n"
        + params_src,
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
