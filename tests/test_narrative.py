"""The chapters' narrative is Markdown a writer can edit: no code cell prints prose, and at least
80% of the narrative words are in Markdown cells (the rest are small pre-formatted fragments the
data choose, in the hidden computing cells)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
INLINE = re.compile(r"`\{python\}[^`]*`")
WORD = re.compile(r"[A-Za-z0-9À-ž'’\-–]+")


def _words(text: str) -> int:
    return len(WORD.findall(text))


def _markdown_words(source: str) -> int:
    source = re.sub(r"<!--.*?-->", "", source, flags=re.DOTALL)
    return _words(re.sub(r"\{#[^}]*\}", "", INLINE.sub("X", source)))


def _prose_literals(source: str) -> int:
    """Words of the string literals with a space in them (sentence fragments, not codes)."""
    body = "\n".join(line for line in source.splitlines() if not line.startswith("#|"))
    tree = ast.parse(body)
    parts, inner = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                inner.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else " X ")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner:
            parts.append(node.value)
    return sum(_words(p) for p in parts if " " in p.strip())


def narrative_counts(notebook: Path) -> tuple[int, int]:
    """(words in Markdown cells, words of prose in the computing cells)."""
    nb = nbformat.read(notebook, as_version=4)
    markdown = code = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            markdown += _markdown_words(cell.source)
        elif "#| include: false" in cell.source and "setup(" not in cell.source:
            code += _prose_literals(cell.source)
    return markdown, code


@pytest.mark.parametrize(
    "notebook",
    sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "chapters").glob("0*.ipynb")),
)
def test_narrative_is_markdown(notebook):
    nb = nbformat.read(ROOT / notebook, as_version=4)
    printing = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and ("#| output: asis" in c.source or re.search(r"\bprint\(\s*f?[\"']", c.source))
    ]
    assert not printing, f"{notebook}: code cells {printing} print prose"
    markdown, code = narrative_counts(ROOT / notebook)
    assert markdown / (markdown + code) >= 0.8, (markdown, code)


def test_the_counter_sees_prose_printed_by_code(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("Two words."),
            nbformat.v4.new_code_cell(
                "#| include: false\nx = f'A long sentence of {n} words here'"
            ),
        ]
    )
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    assert narrative_counts(path) == (2, 6)  # the formatted value is not counted
