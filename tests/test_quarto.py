"""The Quarto path: the notebook filter Quarto reads the executed chapters through, and a Quarto
user's own ``quarto render`` in a copy of the project (skipped when ``quarto`` is not on PATH)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from exile_report.plotting import figure_meta_markdown

ROOT = Path(__file__).resolve().parents[1]
FILTER = ROOT / "tools" / "quarto" / "executed-notebook.py"


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source: str, outputs: list[dict]) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "outputs": outputs,
        "execution_count": 1,
    }


def _display(data: dict) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def test_filter_hands_quarto_the_executed_notebook_with_figure_meta_after_the_cell(tmp_path):
    (tmp_path / "_quarto.yml").write_text("project: {type: book}\n")
    chapters, executed = tmp_path / "chapters", tmp_path / "_build" / "executed"
    chapters.mkdir()
    executed.mkdir(parents=True)
    fig = "#| label: fig-x\n#| fig-cap: X\nsave_figure(...)"
    source = _notebook([_code(fig, []), _code("#| include: false\nx = 1", [])])
    (chapters / "01-a.ipynb").write_text(json.dumps(source))
    (chapters / "02-b.ipynb").write_text(json.dumps(_notebook([])))
    meta = figure_meta_markdown("Source: somewhere", {"csv": Path("figures/fig-x.csv")})
    image = _display({"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    run = _notebook(
        [
            _code(fig, [image, _display({"text/markdown": meta, "text/plain": meta})]),
            _code("#| include: false\nx = 1", [_display({"text/markdown": meta})]),
        ]
    )
    (executed / "01-a.ipynb").write_text(json.dumps(run))
    proc = subprocess.run(
        [sys.executable, str(FILTER)],
        input=json.dumps(source),
        cwd=chapters,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    cells = json.loads(proc.stdout)["cells"]
    assert [c["cell_type"] for c in cells] == ["code", "markdown", "code"]
    assert cells[0]["outputs"] == [image]  # the figure alone: no sub-figures in Quarto
    assert "".join(cells[1]["source"]).strip() == meta.strip()
    assert cells[2]["outputs"] == []  # a hidden cell shows nothing, its figure-meta neither
    # a chapter not executed yet: one line saying what to do, non-zero exit
    proc = subprocess.run(
        [sys.executable, str(FILTER)],
        input=json.dumps(_notebook([])),
        cwd=chapters,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0 and "02-b.ipynb not found" in proc.stderr


def test_figure_meta_links_are_relative_to_the_notebooks_folder():
    md = figure_meta_markdown(
        "Source: x", {"png": Path("/any/figures/fig-x.png"), "csv": Path("figures/fig-x.csv")}
    )
    assert "[Source: x]{.figure-source}" in md
    assert "[PNG](../figures/fig-x.png) · [Data (CSV)](../figures/fig-x.csv)" in md
    assert md.startswith("::: {.figure-meta}\n") and md.endswith(":::\n")


def test_plain_quarto_render_gives_the_whole_book_and_touches_no_tracked_file(
    request, tmp_path_factory
):
    """What a Quarto user types in the project root. The copy holds the executed notebooks of
    ``built_repo``, so the pre-render step executes nothing; its ``.venv`` is the checkout's."""
    if not shutil.which("quarto"):
        pytest.skip("quarto not on PATH: `quarto render` is not tested")
    built_repo = request.getfixturevalue("built_repo")
    repo = tmp_path_factory.mktemp("plain-quarto") / "repo"
    shutil.copytree(built_repo, repo, symlinks=True)
    shutil.rmtree(repo / "_book")
    (repo / ".venv").symlink_to(ROOT / ".venv")
    gitignore = (repo / ".gitignore").read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "EXILE_REPORT_EXECUTED"}
    proc = subprocess.run(
        ["quarto", "render"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1"},
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "every chapter is up to date" in proc.stdout + proc.stderr  # papermill: not again
    book = repo / "_book"
    for page in [
        "index.html",
        "chapters/01-history.html",
        "chapters/02-scale.html",
        "chapters/03-host-states.html",
        "chapters/04-asylum-law.html",
        "chapters/05-conclusion.html",
        "chapters/A1-data-sources.html",
        "chapters/A3-how-to-cite.html",
        "references.html",
        "exile-report.pdf",
        "exile-report-data.zip",
    ]:
        assert (book / page).is_file(), page
    scale = BeautifulSoup(
        (book / "chapters/02-scale.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert len(scale.select("div.figure-meta .figure-downloads a")) >= 12
    assert not scale.select("[id^=fig-][id$='-1']")  # no figure split into sub-figures
    assert (repo / ".gitignore").read_bytes() == gitignore
