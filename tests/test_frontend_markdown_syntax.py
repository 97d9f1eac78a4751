"""Numbering and cross-references follow pandoc's Markdown, not a narrower reading of it.

Reproduced bugs of the front end (each test failed before the fix): a cross-reference inside an
indented code block was rewritten into a link, setext headings (``Title`` over ``-----``) were
neither numbered nor usable as targets, and the closing ``##`` of an ATX heading stayed in the
title. Also: ``format: typst:`` options of ``_quarto.yml`` are honoured or refused, never ignored.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from exile_report.render import render_book
from exile_report.render.frontend import check_builtin_options, load_book, numbered_markdown
from exile_report.render.model import RenderError
from exile_report.render.pdf import typst_format_options, write_pdf

BOOK = Path(__file__).parent / "conformance"
NBSP = "\u00a0"


@pytest.fixture
def project(tmp_path):
    dest = tmp_path / "book"
    shutil.copytree(BOOK, dest)
    return dest


def _with_method_text(project: Path, text: str) -> str:
    """The conformance book with ``text`` appended to chapter 1 (01-method.qmd): that chapter's
    markdown as the writers read it, numbered and cross-referenced."""
    path = project / "chapters" / "01-method.qmd"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    book = load_book(project, None, project / "_media")
    return numbered_markdown(book)["01-method"]


def test_a_crossref_in_an_indented_code_block_is_left_as_written(project):
    markdown = _with_method_text(
        project,
        "An example of the syntax:\n\n    See @sec-definitions for the terms.\n\nAfter it.\n",
    )
    assert "    See @sec-definitions for the terms." in markdown
    assert "See [Section" not in markdown.split("An example of the syntax")[1]


def test_a_crossref_in_a_list_continuation_is_still_resolved(project):
    # indented by four spaces too, but part of the list item above: not code
    markdown = _with_method_text(
        project, "- A point.\n\n    Its detail, see @sec-definitions.\n\nAfter it.\n"
    )
    tail = markdown.split("- A point.")[1]
    assert f"[Section{NBSP}1.1](#sec-definitions){{.quarto-xref}}" in tail


def test_setext_headings_are_numbered_and_can_be_referenced(project):
    markdown = _with_method_text(
        project,
        "Setext section {#sec-setext}\n----------------------------\n\n"
        "Text that points back to @sec-setext.\n",
    )
    assert "[1.3]{.header-section-number} Setext section" in markdown
    assert f"[Section{NBSP}1.3](#sec-setext){{.quarto-xref}}" in markdown


def test_a_thematic_break_after_a_blank_line_is_not_a_heading(project):
    markdown = _with_method_text(project, "A paragraph.\n\n---\n\nAnother.\n")
    assert re.search(r"\nA paragraph\.\n\n-{3,}\n\nAnother\.", markdown)  # a rule, no heading


def test_the_closing_hashes_of_a_heading_are_not_part_of_its_title(project):
    markdown = _with_method_text(
        project, "## Closed heading ## {#sec-closed}\n\nSee @sec-closed.\n"
    )
    assert "Closed heading ##" not in markdown
    assert "[1.3]{.header-section-number} Closed heading {#sec-closed}" in markdown


def test_a_relative_link_in_code_is_left_as_written_and_one_in_text_is_book_relative(project):
    markdown = _with_method_text(
        project, "See [the data](../figures/fig-line.csv).\n\n    [as code](../figures/x.csv)\n"
    )
    assert "[the data](figures/fig-line.csv)" in markdown
    assert "    [as code](../figures/x.csv)" in markdown


def test_a_missing_image_names_the_line(project):
    path = project / "chapters" / "01-method.qmd"
    path.write_text(path.read_text(encoding="utf-8") + "\n![A map](nowhere.svg)\n")
    line = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(RenderError, match=rf"01-method\.qmd: line {line}: image nowhere\.svg not"):
        load_book(project, None, project / "_media")


def _set_typst_options(project: Path, options: str) -> None:
    config = project / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"\nformat:\n  typst:\n{options}")


def test_papersize_and_fontsize_from_quarto_yml_are_honoured(project, tmp_path):
    _set_typst_options(project, "    papersize: letter\n    fontsize: 10pt\n")
    book = load_book(project, None, project / "_media")
    assert typst_format_options(book) == {"paper": '"us-letter"', "font-size": "10pt"}
    write_pdf(book, tmp_path / "book.pdf", project)
    box = PdfReader(tmp_path / "book.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # US letter


def test_a_typst_format_option_the_engine_cannot_honour_is_refused(project):
    _set_typst_options(project, "    margin:\n      x: 1in\n")
    book = load_book(project, None, project / "_media")
    with pytest.raises(RenderError, match=r"format: typst: margin is not supported"):
        typst_format_options(book)


def test_a_bad_fontsize_is_refused(project):
    _set_typst_options(project, "    fontsize: large\n")
    book = load_book(project, None, project / "_media")
    with pytest.raises(RenderError, match=r"fontsize: 'large' is not a valid value"):
        typst_format_options(book)


def test_typst_options_that_describe_what_the_engine_does_are_accepted_only_as_such(project):
    _set_typst_options(project, "    toc: true\n    number-sections: true\n")
    book = load_book(project, None, project / "_media")
    assert typst_format_options(book) == {}
    _set_typst_options(project, "    toc: false\n")
    book = load_book(project, None, project / "_media")
    with pytest.raises(RenderError, match=r"toc: False is not supported"):
        typst_format_options(book)


def _config_with(project: Path, text: str) -> dict:
    config = project / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + text)
    return load_book(project, None, project / "_media").meta["config"]


def test_html_options_the_engine_follows_or_that_style_quartos_pages_are_accepted(project):
    config = _config_with(
        project,
        "number-sections: true\ncrossref:\n  chapters: true\n"
        "format:\n  html:\n    toc: true\n    theme: cosmo\n",
    )
    check_builtin_options(config)  # nothing raised


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("format:\n  html:\n    toc: false\n", r"format: html: toc: False is not supported"),
        (
            "format:\n  html:\n    code-fold: true\n",
            r"format: html: code-fold is not supported by the built-in engine",
        ),
        ("format:\n  docx: default\n", r"format: docx is not made by the built-in engine"),
        ("number-sections: false\n", r"number-sections: False is not supported"),
        ("crossref:\n  fig-prefix: Fig.\n", r"crossref: \{'fig-prefix': 'Fig\.'\} is not supp"),
    ],
)
def test_an_option_the_builtin_engine_cannot_honour_is_refused_in_one_line(
    project, tmp_path, text, message
):
    _config_with(project, text)
    with pytest.raises(RenderError, match=message) as info:
        render_book(project, None, tmp_path / "out", engine="builtin", pdf=False)
    assert "\n" not in str(info.value)
    assert not any((tmp_path / "out").iterdir())  # nothing written
