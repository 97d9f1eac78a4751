"""The book PDF read back with a real PDF text extractor (pdfium): no overprinted or merged words,
no text outside the text block.

The checker (``tests/pdf_layout.py``) runs on the full built book here, on every PDF named in the
``EXILE_LAYOUT_PDFS`` environment variable (``os.pathsep``-separated; for example the book rendered
by real Quarto), and on small PDFs typeset to fail on purpose, so that a checker that finds nothing
cannot pass for a book that has nothing wrong.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import typst

from exile_report.render.pdf import STYLE
from pdf_layout import (
    half_empty_pages,
    layout_problems,
    measured_text_area,
    merged_numbers,
    outside_text_area,
    overprints,
    page_words,
)

BODY = "#lorem(900)\n\n"


def _pdf(tmp_path: Path, source: str, name: str = "sample") -> Path:
    """A PDF typeset by typst from ``source`` (which may import the house style ``book.typ``)."""
    shutil.copyfile(STYLE, tmp_path / STYLE.name)
    main = tmp_path / f"{name}.typ"
    main.write_text(
        '#set page(paper: "a4", margin: (x: 2.5cm, y: 3cm))\n'
        '#set text(font: "Libertinus Serif", size: 11pt)\n#set par(justify: true)\n' + source,
        encoding="utf-8",
    )
    out = tmp_path / f"{name}.pdf"
    out.write_bytes(typst.compile(str(main), root=str(tmp_path), ignore_system_fonts=True))
    return out


# --------------------------------------------------------------------------- the real book


def _book_problems(pdf: Path) -> list[str]:
    """The layout problems of a whole book, read once (and checked to be a whole book)."""
    words, sizes = page_words(pdf)
    assert len(words) > 10_000  # the whole book was read, not an empty file
    # a citation the renderer did not resolve prints its key ("[@boustan_2007]")
    keys = [f"page {w.page}: unresolved citation {w}" for w in words if "[@" in w.text]
    return (
        keys
        + overprints(words)
        + merged_numbers(words)
        + outside_text_area(words, sizes)
        + half_empty_pages(pdf, words, sizes)
    )


def test_the_built_books_pdf_has_no_overprinted_merged_or_overflowing_words(built_repo):
    assert _book_problems(built_repo / "_book" / "exile-report.pdf") == []


@pytest.mark.slow
def test_the_quarto_books_pdf_has_no_overprinted_merged_or_overflowing_words(built_repo_quarto):
    # the same book rendered by real Quarto (typst), built once per session and shared with the
    # other reader-facing tests; skipped when quarto is not on PATH
    assert _book_problems(built_repo_quarto / "_book" / "exile-report.pdf") == []


@pytest.mark.skipif(not os.environ.get("EXILE_LAYOUT_PDFS"), reason="EXILE_LAYOUT_PDFS not set")
def test_other_pdfs_named_in_the_environment():
    for path in os.environ["EXILE_LAYOUT_PDFS"].split(os.pathsep):
        assert layout_problems(path) == [], path


# --------------------------------------------------------------------------- made to fail


def test_overprinted_words_are_found(tmp_path):
    pdf = _pdf(
        tmp_path,
        BODY + "#place(dx: 2cm, dy: 1cm)[Printed over]\n"
        "#place(dx: 2.4cm, dy: 1cm)[the other words]\n",
    )
    problems = layout_problems(pdf)
    assert any("overprints" in p and "Printed" in p for p in problems), problems


def test_a_table_with_columns_too_narrow_for_its_numbers_is_found(tmp_path):
    # what pandoc's own table writer did to Table 1.1: fixed shares of the width, too small for
    # the numbers, so that they ran into each other ("1,500,0001,500,000")
    pdf = _pdf(
        tmp_path,
        BODY + "#table(columns: (60%, 6%, 6%, 28%), align: (left, right, right, left),\n"
        "  [Russian Jews immigrating to the United States], [1,500,000],"
        " [1,500,000], [(Boustan, n.d.)],\n"
        "  [Refugees from Russia], [600,000], [1,000,000], [(DV 2022)])\n",
    )
    problems = layout_problems(pdf)
    assert any("1,500,000" in p for p in problems), problems
    assert any("1,000,000" in p for p in problems), problems


def test_numbers_printed_with_no_space_between_are_found(tmp_path):
    pdf = _pdf(tmp_path, BODY + "#box[1,500,000]#box[2,000,000] and #box[E012]#box[2022-03-31]\n")
    problems = layout_problems(pdf)
    assert any("1,500,0002,000,000" in p for p in problems), problems
    assert any("E0122022-03-31" in p for p in problems), problems


def test_an_address_running_into_the_margin_is_found(tmp_path):
    # digits only: no break opportunity and nothing to hyphenate
    address = "https://example.org/" + "0123456789" * 10
    pdf = _pdf(tmp_path, BODY + f"See {address} for the data.\n\n" + BODY)
    problems = layout_problems(pdf)
    assert any("outside the text area" in p or "off the page" in p for p in problems), problems


def test_a_page_left_half_empty_by_a_block_pushed_to_the_next_one_is_found(tmp_path):
    # a figure too tall for the rest of the page, not floated: it moves to the next page and
    # leaves the rest of this one empty, though the text goes on after it
    figure = "rect(width: 100%, height: 16cm)"
    text = '#set page(numbering: "1")\n#lorem(250)\n\n{}\n\n#lorem(900)\n'
    pushed = _pdf(tmp_path, text.format("#" + figure), name="pushed")
    problems = half_empty_pages(pushed)
    assert any(p.startswith("page 1:") and "empty" in p for p in problems), problems
    # floated, the text flows past it and no page is left empty
    floated = _pdf(tmp_path, text.format(f"#place(auto, float: true, {figure})"), name="floated")
    assert half_empty_pages(floated) == []


def test_clean_text_passes_and_the_text_block_is_measured(tmp_path):
    pdf = _pdf(tmp_path, BODY * 2)
    assert layout_problems(pdf) == []
    words, sizes = page_words(pdf)
    left, right = measured_text_area(words, sizes)[1]
    assert abs(left - 2.5 * 72 / 2.54) < 2  # the margins the sample was set with
    assert abs(right - (sizes[0][0] - 2.5 * 72 / 2.54)) < 2


# --------------------------------------------------------------------------- the house style


def _book_table(header: list[str], rows: list[list[str]], align: list[str]) -> str:
    """A ``book-table`` call as book.lua writes it (cells, and each column's longest words)."""

    def cells(row):
        return "(" + ", ".join(f"[{c}]" for c in row) + ",)"

    words = []
    for i in range(len(header)):
        column = [(w, True) for w in header[i].split()]
        column += [(w, False) for r in rows for w in r[i].split()]
        column.sort(key=lambda x: -len(x[0]))
        words.append("(" + "".join(f'("{w}", {str(h).lower()}), ' for w, h in column[:3]) + ")")
    return (
        '#import "book.typ": book-table\n'
        f"#book-table(align: ({', '.join(align)},), header: ({cells(header)},),\n"
        f"  rows: ({', '.join(cells(r) for r in rows)},),\n"
        f'  words: ({", ".join(words)},), caption: [Table 1.1: Estimates], label: "tbl-x")\n'
    )


def test_book_table_sizes_columns_so_that_numbers_ids_and_dates_never_collide(tmp_path):
    text = "Russian Jews immigrating to the United States after the pogroms of the 1880s"
    rows = [
        ["E012", "2022-03-31", text, "1,500,000", "1,500,000", "Where the figure was published"],
        ["E013", "2022-10-05", "Refugees", "600,000", "1,000,000", "Concept"],
    ] * 30
    header = ["Id", "Date", "What is counted", "Low", "High", "Where"]
    align = ["left", "left", "left", "right", "right", "left"]
    pdf = _pdf(tmp_path, BODY + _book_table(header, rows, align) + BODY)
    assert layout_problems(pdf) == []
    words, _ = page_words(pdf)
    heads = [w for w in words if w.text == "Low"]
    assert len({w.page for w in heads}) >= 2  # long table: the header repeats on each page


def test_book_table_sets_a_table_too_wide_for_the_page_smaller(tmp_path):
    header = [f"Column{i}" for i in range(11)]
    rows = [[f"1{i},{j:03d},000" for i in range(11)] for j in range(5)]
    pdf = _pdf(tmp_path, BODY + _book_table(header, rows, ["right"] * 11))
    assert layout_problems(pdf) == []
    words, _ = page_words(pdf)
    sizes = {round(w.size, 1) for w in words if w.text.endswith(",000")}
    assert max(sizes) < 9.5  # set below the usual table size to fit


def test_long_addresses_wrap_in_tables_and_the_bibliography_and_copy_out_whole(tmp_path):
    from exile_report.render.model import Book, Chapter
    from exile_report.render.pdf import write_pdf

    # the address that ran off page 69 of the book before
    address = (
        "https://24.kg/english/304002__What_should_Russian_citizen_do_when_arriving_in_Kyrgyzstan"
        "_for_the_first_time/"
    )
    (tmp_path / "refs.bib").write_text(
        f"@misc{{kg2024, author = {{{{24.kg}}}}, title = {{Arriving}}, year = {{2024}},\n"
        f"  url = {{{address}}}}}\n",
        encoding="utf-8",
    )
    chapter = (
        "# Chapter {#sec-ch}\n\nCited [@kg2024].\n\n"
        "| Id | Where |\n|:--|:--|\n"
        f"| E001 | <{address}> and more text in the same cell |\n\n: Table 1.1: Addresses {{#tbl-a}}\n"
    )
    book = Book(
        title="T",
        subtitle="",
        authors=["A"],
        date="2026-01-01",
        version="1",
        chapters=[Chapter("01-ch", "chapter", "1", "Chapter", "sec-ch", chapter, Path("ch.qmd"))],
        bibliography=[tmp_path / "refs.bib"],
    )
    pdf = tmp_path / "book.pdf"
    write_pdf(book, pdf, tmp_path)
    assert layout_problems(pdf) == []
    words, _ = page_words(pdf)
    text = "".join(w.text for w in words)
    assert "\u200b" not in text  # nothing added to the address a reader copies
    assert text.count("What_should_Russian_citizen") == 2  # in the table and the bibliography


# --------------------------------------------------------------------------- Quarto's typst

QUARTO_FILTER = Path(__file__).resolve().parents[1] / "tools" / "quarto" / "typst-book.lua"

#: a table as Quarto's typst output holds it at post-render (a `.quarto-scaffold` div whose raw
#: pieces open and close the figure), its source line in the figure-meta div under it; the
#: separator row's dashes give pandoc the relative column widths that overprinted Table 2.1
QUARTO_TABLE = (
    "::: {.quarto-scaffold}\n`#figure([`{=typst}\n\n"
    "| Id | Date | Estimator | Low | High | Where |\n"
    "|:-|:-|:------------------------------|-:|-:|:--------------------------|\n"
    + "| E012 | 2022-03-31 | Yulia Florinskaya, Russian Presidential Academy (RANEPA) "
    "| 1,500,000 | 2,000,000 | Interview with an independent outlet [@boustan2007] |\n"
    * 12
    + "\n`], caption: figure.caption(position: top, [Register of estimates]), "
    'kind: "quarto-float-tbl", supplement: "Table")`{=typst}\n:::\n\n'
    "::: {.figure-meta}\n[Source: our register of published estimates]{.figure-source}\n:::\n\n"
)


def _quarto_typst_pdf(tmp_path: Path, markdown: str, with_filter: bool, name: str) -> Path:
    """``markdown`` through pandoc's typst writer (with or without Quarto's typst-book.lua), then
    typst, with the two style files where the filter's import finds them."""
    from exile_report.provenance import pandoc_path

    root = Path(__file__).resolve().parents[1]
    for rel in ("tools/quarto/book.typ", "src/exile_report/render/typst/book.typ"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, tmp_path / rel)
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{boustan2007, author = {Boustan, Leah}, title = {Were Jews political refugees?},"
        " year = {2007}}\n",
        encoding="utf-8",
    )
    args = [pandoc_path(), "--from=markdown", "--to=typst"]
    if with_filter:
        args.append(f"--lua-filter={QUARTO_FILTER}")
    # citeproc after the filter, as in Quarto (which runs it after its post-render filters)
    args += ["--citeproc", f"--bibliography={bib}"]
    run = subprocess.run(args, input=markdown, capture_output=True, text=True, check=True)
    assert run.stderr == ""
    main = tmp_path / f"{name}.typ"
    main.write_text(
        '#set page(paper: "a4", margin: (x: 3cm, top: 3cm, bottom: 2.5cm))\n'
        '#set text(font: "Libertinus Serif", size: 10pt)\n#set par(justify: true)\n' + run.stdout,
        encoding="utf-8",
    )
    out = tmp_path / f"{name}.pdf"
    out.write_bytes(typst.compile(str(main), root=str(tmp_path), ignore_system_fonts=True))
    return out


def test_quartos_typst_table_overprints_without_the_filter_and_not_with_it(tmp_path):
    body = "Text before the table.\n\n" + QUARTO_TABLE + "Text after the table.\n"
    plain = _quarto_typst_pdf(tmp_path, body, with_filter=False, name="plain")
    problems = layout_problems(plain)
    assert any("E012" in p and "overprints" in p for p in problems), problems
    filtered = _quarto_typst_pdf(tmp_path, body, with_filter=True, name="filtered")
    assert layout_problems(filtered) == []
    source = (tmp_path / "filtered.typ").read_text(encoding="utf-8")
    # the table is the house style's, the source line its last row, inside the float
    assert "#book-table-body(" in source
    assert source.index("source: [Source: our register") < source.index("], caption:")
    words, _ = page_words(filtered)
    assert sum(w.text == "Source:" for w in words) == 1
    # the citations in the cells are citeproc's, not raw keys, and in the bibliography
    text = " ".join(w.text for w in words)
    assert text.count("(Boustan 2007)") == 12 and "@boustan" not in text
    assert "Boustan, Leah. 2007." in text
