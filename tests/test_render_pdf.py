"""The book PDF writer: a small hand-made Book rendered to PDF and read back with pypdf.

What a researcher relies on is checked in the PDF itself: title page, contents, captions shown
once with the front end's numbers, appendix lettering, bibliography, running heads, page numbers,
metadata, embedded fonts, working internal links, byte-identical rebuilds, useful errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from exile_report.render.model import Book, Chapter, RenderError
from exile_report.render.pdf import write_pdf

BIB = """@book{smith2020, author = {Smith, Jane}, title = {Exile Now}, publisher = {Harbour Press},
  year = {2020}}
@article{doe2019, author = {Doe, John}, title = {Leaving Home}, journal = {Journal of Migration},
  year = {2019}, volume = {3}, pages = {1--20}}
"""

PREFACE = "# Preface {#sec-preface}\n\nWhat the report finds.\n"

CHAPTER_1 = """# History of exile {#sec-history}

Exile is old [@smith2020]; @doe2019 [p. 4] counts it. See [Figure 1.1](#fig-wave),
[Figure 1.2](#fig-raster), [Table 1.1](#tbl-counts), [Section 1.1](#sec-sub) and
[Appendix A](#sec-data). A footnote.[^note] Inline `code` and <https://example.org>.

[^note]: The footnote text.

## [1.1]{.header-section-number} Waves {#sec-sub}

![Figure 1.1: Waves of departure](figures/fig-wave.svg){#fig-wave fig-alt="Line chart" alt="Line chart"}

::: {.figure-meta}
[Source: Smith [-@smith2020].]{.figure-source} [[PNG](figures/fig-wave.png)]{.figure-downloads}
:::

![Figure 1.2: The same chart as a raster image](figures/fig-raster.png){#fig-raster fig-alt="Chart" width=60%}

> A block quote.

::: {.callout-note}
## Reading the numbers
Counts of different kinds are never added.
:::

| Year | Count | Note |
|-----:|------:|:-----|
ROWS

: Table 1.1: Counts by year {#tbl-counts}
"""

CHAPTER_2 = (
    "# Scale {#sec-scale}\n\n"
    + "\n\n".join(["Plain prose to fill a few pages so that running heads appear. " * 12] * 14)
    + "\n\nBack to [Figure 1.1](#fig-wave).\n"
)

APPENDIX = """# Data and sources {#sec-data}

See [Chapter 1](#sec-history).

## [A.1]{.header-section-number} Files {#sec-files}

Text.
"""


def _figures(workdir: Path) -> None:
    """An SVG and a PNG chart, as the build writes them."""
    (workdir / "figures").mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([2020, 2021, 2022, 2023], [1, 3, 2, 4])
    fig.savefig(workdir / "figures/fig-wave.svg", metadata={"Date": None})
    fig.savefig(workdir / "figures/fig-raster.png", dpi=80, metadata={"Software": None})
    plt.close(fig)


def make_book(workdir: Path, chapter_1: str = CHAPTER_1) -> Book:
    _figures(workdir)
    (workdir / "refs.bib").write_text(BIB)
    rows = "\n".join(f"| {2000 + i} | {i * 7} | row {i} |" for i in range(70))
    chapters = [
        Chapter("index", "preface", None, "Preface", "sec-preface", PREFACE, Path("index.qmd")),
        Chapter(
            "01-history",
            "chapter",
            "1",
            "History of exile",
            "sec-history",
            chapter_1.replace("ROWS", rows),
            Path("chapters/01-history.ipynb"),
        ),
        Chapter(
            "02-scale",
            "chapter",
            "2",
            "Scale",
            "sec-scale",
            CHAPTER_2,
            Path("chapters/02-scale.ipynb"),
        ),
        Chapter(
            "a-data",
            "appendix",
            "A",
            "Data and sources",
            "sec-data",
            APPENDIX,
            Path("appendices/data.qmd"),
        ),
    ]
    return Book(
        title="Political Exile from Russia",
        subtitle="A reference report",
        authors=["Ann Author", "Bob Writer"],
        date="2026-11-20",
        version="0.1.0",
        chapters=chapters,
        bibliography=[workdir / "refs.bib"],
        keywords=["exile", "Russia"],
        resources={"figures/fig-wave.svg": workdir / "figures/fig-wave.svg"},
        meta={
            "colophon": {
                "Edition": "0.1.0",
                "Source commit": "abc1234",
                "Parameters": {"02-scale.year_from": 2022},
            }
        },
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("book")
    write_pdf(make_book(workdir), workdir / "out" / "book.pdf", workdir)
    return workdir / "out" / "book.pdf"


@pytest.fixture(scope="module")
def reader(built) -> PdfReader:
    return PdfReader(built)


@pytest.fixture(scope="module")
def pages(reader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _page_with(pages: list[str], text: str) -> int:
    return next(i for i, page in enumerate(pages) if text in page)


def test_title_page(pages):
    first = pages[0]
    for text in [
        "Political Exile from Russia",
        "A reference report",
        "Ann Author and Bob Writer",
        "Edition 0.1.0",
        "20 November 2026",
    ]:
        assert text in first


def test_colophon_follows_title_page(pages):
    assert "Colophon" in pages[1]
    assert "abc1234" in pages[1] and "02-scale.year_from: 2022" in pages[1]


def test_contents_lists_chapters_sections_appendix_and_references(pages):
    contents = pages[_page_with(pages, "Contents")]
    for entry in [
        "Preface",
        "1 History of exile",
        "1.1 Waves",
        "2 Scale",
        "A Data and sources",
        "A.1 Files",
        "References",
    ]:
        assert entry in contents


def test_captions_are_shown_once_with_the_given_numbers(pages):
    text = "\n".join(pages)
    assert text.count("Figure 1.1: Waves of departure") == 1
    assert text.count("Figure 1.2: The same chart") == 1
    assert text.count("Table 1.1: Counts by year") == 1
    assert not re.search(r"(Figure|Table) \d+(\.\d+)?: (Figure|Table)", text)
    # a figure's source line is printed once, under it (the image no longer carries it); the
    # download links are HTML-only: a PDF offers no files
    assert text.count("Source: Smith (2020)") == 1
    assert "PNG" not in text


def test_chapter_and_appendix_openers(pages):
    chapter = pages[_page_with(pages, "History of exile\n")]
    assert "CHAPTER 1" in chapter
    appendix = pages[_page_with(pages, "Data and sources\n")]
    assert "APPENDIX A" in appendix


def test_bibliography_at_the_end(pages):
    last = pages[-1]
    assert "References" in last
    assert "Smith, Jane. 2020. Exile Now" in last
    assert "Doe, John. 2019." in last and "Leaving Home" in last


def test_running_heads_and_page_numbers(reader, pages):
    scale = _page_with(pages, "Scale\n")
    later = [p for p in pages[scale + 1 :] if "Plain prose" in p]
    assert later, "chapter 2 should run over more than one page"
    first_lines = [p.splitlines()[0] for p in later]
    assert "Political Exile from Russia" in first_lines  # left-hand page: the book
    assert "Chapter 2 · Scale" in first_lines  # right-hand page: the chapter
    assert not pages[scale].startswith(("Political", "Chapter 2")), "no head on the opener"
    labels = reader.page_labels
    assert labels[_page_with(pages, "Contents")] == "i"
    assert labels[_page_with(pages, "What the report finds")] == "1"
    for index in range(_page_with(pages, "What the report finds"), len(pages)):
        if pages[index].strip():  # blank left-hand pages carry no number
            numbers = re.findall(r"^\s*(\d+)\s*$", pages[index], flags=re.MULTILINE)
            assert labels[index] in numbers, (index, pages[index][-200:])


def test_chapters_open_on_right_hand_pages_and_fillers_stay_blank(reader, pages):
    for opener in ["CHAPTER 1", "CHAPTER 2", "APPENDIX A", "References"]:
        assert _page_with(pages, opener) % 2 == 0  # index 0 is page 1, a right-hand page
    blanks = [i for i, p in enumerate(pages) if not p.strip()]
    assert blanks, "this book needs filler pages before right-hand openers"
    assert all(i % 2 == 1 for i in blanks)


def test_metadata(reader):
    info = reader.metadata
    assert info.title == "Political Exile from Russia"
    assert info.author == "Ann Author, Bob Writer"
    assert info["/Keywords"] == "exile, Russia"
    assert info.subject == "A reference report"
    assert info["/CreationDate"].startswith("D:20261120")


def test_fonts_are_embedded(reader):
    fonts = []
    for page in reader.pages:
        resources = page["/Resources"]
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            parts = [f.get_object() for f in font.get("/DescendantFonts", [])] or [font]
            fonts.extend(parts)
    assert fonts
    for font in fonts:
        descriptor = font["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


def _link_targets(reader: PdfReader, index: int) -> set[int]:
    """Page indexes that the internal links on one page jump to."""
    page_of = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    named = reader.named_destinations
    targets = set()
    for annot in reader.pages[index].get("/Annots") or []:
        dest = annot.get_object().get("/Dest")
        if dest is None:
            continue
        if isinstance(dest, IndirectObject):
            dest = dest.get_object()
        if isinstance(dest, str):
            targets.add(reader.get_destination_page_number(named[dest]))
        else:
            targets.add(page_of[dest[0].idnum])
    return targets


def test_cross_references_are_internal_links_to_the_right_pages(reader, pages):
    source = _page_with(pages, "Exile is old")
    targets = _link_targets(reader, source)
    assert _page_with(pages, "Figure 1.1: Waves") in targets
    assert _page_with(pages, "Table 1.1: Counts") in targets
    assert _page_with(pages, "APPENDIX A") in targets
    assert _page_with(pages, "Smith, Jane. 2020") in targets  # citation links
    back = _page_with(pages, "Back to Figure 1.1")
    assert _page_with(pages, "Figure 1.1: Waves") in _link_targets(reader, back)


def test_external_links_stay_links(reader, pages):
    page = reader.pages[_page_with(pages, "Exile is old")]
    uris = [a.get_object().get("/A", {}).get("/URI") for a in page.get("/Annots") or []]
    assert "https://example.org" in uris


def test_body_elements(pages):
    text = "\n".join(pages)
    assert "Reading the numbers" in text  # callout title, boxed, not a heading:
    assert "Reading the numbers" not in pages[_page_with(pages, "Contents")]
    assert "The footnote text." in text
    assert "A block quote." in text
    assert "Preface" in pages[_page_with(pages, "What the report finds")]
    assert "CHAPTER" not in pages[_page_with(pages, "What the report finds")]  # unnumbered


def test_figures_carry_their_alt_text(built):
    data = built.read_bytes()
    assert b"/Alt(Line chart)" in data
    assert b"/Alt(Chart)" in data


def test_two_builds_are_byte_identical(built, tmp_path):
    write_pdf(make_book(tmp_path), tmp_path / "again.pdf", tmp_path)
    assert (tmp_path / "again.pdf").read_bytes() == built.read_bytes()


def test_nothing_is_written_into_workdir_and_sources_can_be_kept(tmp_path):
    book = make_book(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    write_pdf(book, tmp_path / "out.pdf", tmp_path)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == sorted([*before, Path("out.pdf")])
    write_pdf(book, tmp_path / "out2.pdf", tmp_path, source_dir=tmp_path / "typst-src")
    main = (tmp_path / "typst-src" / "book-main.typ").read_text()
    assert "// exile-chapter: 01-history" in main and "<fig-wave>" in main


def test_absolute_image_paths_work(tmp_path):
    book = make_book(tmp_path)
    absolute = (tmp_path / "figures" / "fig-raster.png").as_posix()
    book.chapters[1].markdown = book.chapters[1].markdown.replace(
        "](figures/fig-raster.png)", f"]({absolute})"
    )
    write_pdf(book, tmp_path / "book.pdf", tmp_path / "elsewhere")
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "book.pdf").pages)
    assert "Figure 1.2: The same chart as a raster image" in text


def test_pandoc_failure_raises_render_error(tmp_path):
    book = make_book(tmp_path)
    book.bibliography = [tmp_path / "no-such.bib"]
    with pytest.raises(RenderError, match="pandoc"):
        write_pdf(book, tmp_path / "book.pdf", tmp_path)


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ("figures/fig-raster.png", "figures/missing.png"),  # sized image (width=60%)
        ("](figures/fig-wave.svg)", "](figures/missing.svg)"),  # fitted to the text width
    ],
)
def test_missing_image_raises_render_error_naming_chapter_and_file(tmp_path, present, missing):
    broken = CHAPTER_1.replace(present, missing)
    assert broken != CHAPTER_1
    with pytest.raises(RenderError) as caught:
        write_pdf(make_book(tmp_path, broken), tmp_path / "book.pdf", tmp_path)
    message = str(caught.value)
    assert "01-history" in message and "chapters/01-history.ipynb" in message
    assert Path(missing.strip("]()")).name in message and "file not found" in message
    assert not (tmp_path / "book.pdf").exists()


def test_link_to_unknown_label_raises_render_error(tmp_path):
    broken = CHAPTER_1.replace("(#tbl-counts)", "(#tbl-nope)")
    with pytest.raises(RenderError, match="tbl-nope"):
        write_pdf(make_book(tmp_path, broken), tmp_path / "book.pdf", tmp_path)
