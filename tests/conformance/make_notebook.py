"""Write ``chapters/02-data.ipynb``: an executed notebook with real outputs, without a kernel.

The renderer never executes anything, so the fixture is a notebook *as papermill leaves it*:
a parameters cell, outputs of every kind the engine handles (an SVG+PNG figure with the
``exile_report`` metadata that ``plotting.save_figure`` writes, a PNG-only figure, a markdown
table, ``output: asis`` text, plain text, an echoed cell). The images are drawn by matplotlib
here, so they are real. Run it again after changing it:

    .venv/bin/python tests/conformance/make_notebook.py
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

HERE = Path(__file__).parent
YEARS = [2020, 2021, 2022, 2023]
COUNTS = [10, 12, 30, 25]  # made-up test values: this book only tests the renderer


def figure_bytes(kind: str) -> tuple[str, bytes]:
    """A small line (``line``) or bar (``bars``) chart as SVG text and PNG bytes."""
    plt.rcParams["svg.hashsalt"] = "conformance"  # stable ids inside the SVG
    fig, ax = plt.subplots(figsize=(4, 2.5))
    if kind == "line":
        ax.plot(YEARS, COUNTS, color="#1f4e79")
    else:
        ax.bar([str(y) for y in YEARS], COUNTS, color="#1f4e79")
    ax.set_xlabel("Year")
    ax.set_ylabel("People")
    svg = io.StringIO()
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=60, metadata={"Software": None})
    plt.close(fig)
    return svg.getvalue(), png.getvalue()


def build() -> nbformat.NotebookNode:
    line_svg, line_png = figure_bytes("line")
    _, bars_png = figure_bytes("bars")
    figures = HERE / "figures"
    figures.mkdir(exist_ok=True)
    (figures / "fig-line.png").write_bytes(line_png)
    (figures / "fig-line.svg").write_text(line_svg, encoding="utf-8")
    rows = "\n".join(f"{y},{c}" for y, c in zip(YEARS, COUNTS))
    (figures / "fig-line.csv").write_text(f"year,people\n{rows}\n", encoding="utf-8")
    (figures / "tbl-counts.csv").write_text(f"year,people\n{rows}\n", encoding="utf-8")

    table = "| Year | People |\n|-----:|-------:|\n" + "\n".join(
        f"| {y} | {c} |" for y, c in zip(YEARS, COUNTS)
    )
    cells = [
        new_code_cell("year = 2023", metadata={"tags": ["parameters"]}),
        new_code_cell(
            "year = 2024\nYEARS = [2020, 2021, 2022, 2023]\nCOUNTS = [10, 12, 30, 25]\nTABLE = ''",
            metadata={"tags": ["injected-parameters"]},
        ),
        new_markdown_cell(
            "# Data {#sec-data}\n\nThis chapter shows the data ({{< var people_total >}} "
            "people), as @doe2020 did. The method is in @sec-method."
        ),
        new_markdown_cell(
            "## A figure {#sec-figure}\n\n@fig-line shows the trend; @fig-bars the same as bars."
        ),
        new_code_cell(
            '#| label: fig-line\n#| fig-cap: "People in exile by year, citing [@roe2021]"\n'
            '#| fig-alt: "A line rising from 10 in 2020 to 30 in 2022, then falling to 25."\n'
            "import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots()\nax.plot(YEARS, COUNTS)",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "image/svg+xml": line_svg,
                        "image/png": base64.b64encode(line_png).decode("ascii"),
                        "text/plain": "<Figure fig-line>",
                    },
                    metadata={
                        "exile_report": {
                            "label": "fig-line",
                            "source": "Source: made-up test values",
                            "files": {
                                "png": "figures/fig-line.png",
                                "svg": "figures/fig-line.svg",
                                "csv": "figures/fig-line.csv",
                            },
                        }
                    },
                )
            ],
        ),
        new_code_cell(
            "#| label: fig-bars\n#| fig-cap: Bars\n#| fig-alt: Four bars, the third tallest.\n"
            "import matplotlib.pyplot as plt\n\nplt.bar([str(y) for y in YEARS], COUNTS)",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "image/png": base64.b64encode(bars_png).decode("ascii"),
                        "text/plain": "<Figure>",
                    },
                )
            ],
        ),
        new_markdown_cell("## A table {#sec-table}\n\n@tbl-counts lists the counts."),
        new_code_cell(
            "#| label: tbl-counts\n#| tbl-cap: Counts by year\nfrom IPython.display import Markdown\n\n"
            "Markdown(TABLE)",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/markdown": table + "\n\nSource: made-up test values\n",
                        "text/plain": table,
                    },
                    metadata={
                        "exile_report": {
                            "label": "tbl-counts",
                            "files": {"csv": "figures/tbl-counts.csv"},
                        }
                    },
                )
            ],
        ),
        new_code_cell(
            "#| output: asis\nprint('Generated **markdown** with a list:\\n\\n- one\\n- two')",
            outputs=[
                new_output(
                    "stream",
                    name="stdout",
                    text="Generated **markdown** with a list:\n\n- one\n- two\n",
                )
            ],
        ),
        new_code_cell(
            "#| echo: true\ntotal = sum([10, 12, 30, 25])\nprint(total)",
            outputs=[new_output("stream", name="stdout", text="77\n")],
        ),
        new_code_cell(
            "#| include: false\nsecret_setup = print('hidden output')",
            outputs=[new_output("stream", name="stdout", text="hidden output\n")],
        ),
        new_code_cell(
            "len(COUNTS)",
            outputs=[new_output("execute_result", data={"text/plain": "4"}, execution_count=7)],
        ),
        new_markdown_cell(
            "Back to @sec-definitions, @sec-edge and @Sec-method; the steps are in @tbl-steps."
        ),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"  # stable ids: the fixture is committed
    return nb


if __name__ == "__main__":
    nbformat.write(build(), HERE / "chapters" / "02-data.ipynb")
