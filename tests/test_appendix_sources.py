"""Appendix A1 (data and sources): its prose and headings are Markdown in the notebook; the
register module supplies only the data-driven parts (source sections, tables)."""

from __future__ import annotations

import nbformat

from exile_report import inline, sources
from exile_report.paths import ROOT
from exile_report.schemas import CURATED_TABLES


def test_appendix_prose_is_markdown_and_code_prints_nothing():
    nb = nbformat.read(ROOT / "chapters/A1-data-sources.ipynb", as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "Every number in this report comes from one of the sources below" in md
    for heading in ("## Data sources", "## Curated tables", "## Where sources disagree"):
        assert heading in md
    assert "{#tbl-curated-tables}" in md and "{#tbl-conflicts}" in md
    assert "print(" not in code and "output: asis" not in code
    assert set(inline.expressions(md)) >= {"sections", "curated", "conflicts"}


def test_tables_hold_data_only_and_cite_through_prose():
    curated = sources.curated_table()
    assert "##" not in curated and "{#tbl" not in curated
    present = [t for t in CURATED_TABLES if t.path.is_file()]
    assert curated.count("\n") == len(present) + 1  # header, rule, one row per table
    conflicts = sources.conflicts_table()
    assert conflicts.startswith("| Id | Topic |") and "[@" in conflicts
    assert not hasattr(sources, "_cite") and not hasattr(sources, "appendix_markdown")
    sections = sources.source_sections()
    assert sections.count("- **Producer:**") == len(sources.load_register())
