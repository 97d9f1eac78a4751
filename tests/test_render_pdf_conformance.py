"""The PDF writer on the front end's own conformance book (tests/conformance): what the front end
numbers and resolves must come out of the PDF once, linked, with every figure present."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from exile_report.render.frontend import load_book, numbered_markdown
from exile_report.render.pdf import write_pdf

CONFORMANCE = Path(__file__).parent / "conformance"


@pytest.fixture(scope="module")
def conformance_pdf(tmp_path_factory) -> tuple:
    work = tmp_path_factory.mktemp("conformance-pdf")
    book = load_book(CONFORMANCE, None, work / "media")
    write_pdf(book, work / "book.pdf", work / "pdf-work")
    reader = PdfReader(work / "book.pdf")
    return book, reader, [page.extract_text() for page in reader.pages]


def test_every_numbered_caption_appears_exactly_once(conformance_pdf):
    book, _, pages = conformance_pdf
    text = "\n".join(pages)
    markdown = "\n".join(numbered_markdown(book).values())  # as crossref.lua numbered it
    captions = [
        line.strip().split("](")[0].lstrip("![:").strip()
        for line in markdown.splitlines()
        if line.strip().startswith(("![Figure", ": Table"))
    ]
    assert captions, "the conformance book has numbered figures and tables"
    for caption in captions:
        number = " ".join(caption.split()[:2])  # "Figure 2.1:"
        assert text.count(number) == 1, number


def test_chapters_and_appendix_are_in_the_contents(conformance_pdf):
    book, _, pages = conformance_pdf
    contents = next(p for p in pages if p.startswith("Contents"))
    for chapter in book.chapters:
        label = f"{chapter.number} {chapter.title}" if chapter.number else chapter.title
        assert label in contents


def test_every_internal_link_has_a_target(conformance_pdf):
    _, reader, _ = conformance_pdf
    named = reader.named_destinations
    links = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            dest = annot.get_object().get("/Dest")
            if isinstance(dest, str):
                assert dest in named, dest
            if dest is not None:
                links += 1
    assert links >= 10


def test_source_lines_of_figures_and_tables_are_kept_in_the_house_style(tmp_path):
    book = load_book(CONFORMANCE, None, tmp_path / "media")
    write_pdf(book, tmp_path / "book.pdf", tmp_path / "work", source_dir=tmp_path / "src")
    main = (tmp_path / "src" / "book-main.typ").read_text(encoding="utf-8")
    # the source lines of the figure and the table are set under each, small, inside its float
    # (figure / book-table), so that the two are never separated
    assert main.count("source: [Source: made-up test values]") == 2
    assert "\nSource: made-up test values\n" not in main
