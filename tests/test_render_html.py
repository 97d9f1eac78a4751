"""The HTML book of the conformance book, read back with BeautifulSoup, and the render_book
interface (built-in engine, a fake ``quarto`` on PATH, reproducibility, speed)."""

from __future__ import annotations

import itertools
import json
import os
import posixpath
import re
import shutil
import stat
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from exile_report.render import RenderError, render_book
from exile_report.render.html import citation_meta

BOOK = Path(__file__).parent / "conformance"
# Pages sit where Quarto puts them: at the source's path in the project (chapters/…).
PAGES = [
    "index.html",
    "chapters/01-method.html",
    "chapters/02-data.html",
    "chapters/a-sources.html",
    "references.html",
]
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    dest = tmp_path_factory.mktemp("html") / "book"
    result = render_book(
        BOOK,
        {},
        dest,
        meta={"version": "0.1.0", "licence": "CC BY 4.0"},
        engine="builtin",
        pdf=False,
    )
    assert result["engine"] == "builtin"
    return dest


def soup(out, name) -> BeautifulSoup:
    return BeautifulSoup((out / name).read_text(encoding="utf-8"), "html.parser")


def text(el) -> str:
    return " ".join(el.get_text().split())


def test_every_page_is_written_with_lang_and_one_h1(out):
    for name in PAGES:
        page = soup(out, name)
        assert page.html["lang"] == "en"
        assert len(page.find_all("h1")) == 1, name
        levels = [int(h.name[1]) for h in page.main.find_all(re.compile(r"^h[1-6]$"))]
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (name, levels)
    assert text(soup(out, "index.html").h1) == "Preface"
    assert text(soup(out, "chapters/02-data.html").h1) == "2 Data"
    assert text(soup(out, "chapters/a-sources.html").h1) == "Appendix A Data and sources"


def test_sidebar_is_numbered_and_marks_the_current_page(out):
    page = soup(out, "chapters/02-data.html")
    entries = [text(li.a) if li.a else text(li) for li in page.select("ol.toc > li")]
    assert entries == [
        "Preface",
        "1 Method",
        "2 Data",
        "Appendices",
        "A Data and sources",
        "References",
    ]
    current = page.select('ol.toc a[aria-current="page"]')
    assert [a["href"] for a in current] == ["02-data.html"]
    assert [text(a) for a in page.select(".toc-sections a")] == ["2.1 A figure", "2.2 A table"]


def test_previous_and_next_links(out):
    page = soup(out, "chapters/02-data.html")
    assert page.select_one("a[rel=prev]")["href"] == "01-method.html"
    assert page.select_one("a[rel=next]")["href"] == "a-sources.html"
    assert soup(out, "index.html").select_one("a[rel=prev]") is None
    assert soup(out, "references.html").select_one("a[rel=next]") is None


def test_section_numbers(out):
    heads = [text(h) for h in soup(out, "chapters/01-method.html").main.find_all(["h2", "h3"])]
    assert heads[:5] == [
        "1.1 Definitions",
        "1.1.1 Edge cases",
        "Unnumbered aside",
        "1.2 Second section",
        "References",
    ]
    assert (
        soup(out, "chapters/a-sources.html").find(id="sec-sources-files").h2.get_text(" ", True)
        == "A.1 Files"
    )


def test_figures_have_numbered_captions_alt_text_and_downloads(out):
    page = soup(out, "chapters/02-data.html")
    fig = page.find(id="fig-line")
    assert fig.name == "figure"
    assert text(fig.figcaption).startswith("Figure 2.1: People in exile by year")
    img = fig.find("img")
    assert img["alt"] == "A line rising from 10 in 2020 to 30 in 2022, then falling to 25."
    assert fig.find("source")["srcset"] == "../figures/fig-line.svg"  # SVG preferred
    assert img["src"] == "../figures/fig-line.png"  # PNG fallback
    meta = fig.find_next_sibling("div", class_="figure-meta")
    assert text(meta.find(class_="figure-source")) == "Source: made-up test values"
    links = meta.select(".figure-downloads a")
    assert [(text(a), a["href"]) for a in links] == [
        ("PNG", "../figures/fig-line.png"),
        ("SVG", "../figures/fig-line.svg"),
        ("Data (CSV)", "../figures/fig-line.csv"),
    ]
    bars = page.find(id="fig-bars")
    assert text(bars.figcaption) == "Figure 2.2: Bars"
    assert bars.img["alt"] == "Four bars, the third tallest."
    for img in (out / p for p in ("02-data_files/fig-bars.png", "figures/fig-line.csv")):
        assert img.is_file()
    method = soup(out, "chapters/01-method.html").find(id="fig-diagram")
    assert text(method.figcaption) == "Figure 1.1: A diagram drawn by hand"
    assert method.img["alt"] == "Three boxes joined by arrows, left to right."
    for page_name in PAGES:
        for img in soup(out, page_name).find_all("img"):
            assert img.get("alt"), (page_name, img)


def test_tables_have_numbered_captions(out):
    table = soup(out, "chapters/02-data.html").find(id="tbl-counts")
    assert table.name == "table"
    assert text(table.caption) == "Table 2.1: Counts by year"
    assert len(table.tbody.find_all("tr")) == 4
    assert (
        text(soup(out, "chapters/a-sources.html").find(id="tbl-files").caption)
        == "Table A.1: Files shipped with the book"
    )


def test_crossrefs_read_like_quarto_and_link_across_pages(out):
    index = soup(out, "index.html")
    refs = [(text(a).replace(NBSP, " "), a["href"]) for a in index.select("a.quarto-xref")]
    assert refs == [
        ("Chapter 1", "chapters/01-method.html#sec-method"),
        ("Figure 2.1", "chapters/02-data.html#fig-line"),
        ("2.1", "chapters/02-data.html#tbl-counts"),
        ("Table 2.1", "chapters/02-data.html#tbl-counts"),
        ("Figure 2.1", "chapters/02-data.html#fig-line"),
        ("Fig 2.2", "chapters/02-data.html#fig-bars"),
        ("Figure 2.1", "chapters/02-data.html#fig-line"),
        ("Figure 2.2", "chapters/02-data.html#fig-bars"),
        ("Appendix A", "chapters/a-sources.html#sec-sources"),
        ("Section A.1", "chapters/a-sources.html#sec-sources-files"),
    ]
    same_page = soup(out, "chapters/02-data.html").select("a.quarto-xref")
    assert ("#fig-line", "Figure 2.1") in [
        (a["href"], text(a).replace(NBSP, " ")) for a in same_page
    ]


def test_every_internal_link_resolves(out):
    ids = {name: {el["id"] for el in soup(out, name).find_all(id=True)} for name in PAGES}
    checked = 0
    for name in PAGES:
        for tag, attr in (
            ("a", "href"),
            ("img", "src"),
            ("source", "srcset"),
            ("link", "href"),
            ("script", "src"),
        ):
            for el in soup(out, name).find_all(tag):
                url = el.get(attr)
                if not url:
                    continue
                parts = urlsplit(url)
                assert not parts.scheme and not parts.netloc, f"{name}: external {url}"
                # relative to the page's folder, as a browser reads it
                target = (
                    posixpath.normpath(posixpath.join(posixpath.dirname(name), parts.path))
                    if parts.path
                    else name
                )
                assert (out / target).is_file(), f"{name}: {url} has no file"
                if parts.fragment and target.endswith(".html"):
                    assert parts.fragment in ids[target], f"{name}: {url} has no id"
                checked += 1
    assert checked > 80


def test_citations_link_to_reference_lists(out):
    method = soup(out, "chapters/01-method.html")
    cite = method.find("span", class_="citation", attrs={"data-cites": "doe2020"})
    assert cite.a["href"] == "#ref-doe2020"
    entries = [e["id"] for e in method.select("#refs .csl-entry")]
    assert entries == ["ref-doe2020", "ref-roe2021", "ref-unhcr2024"]
    assert soup(out, "index.html").find(id="refs") is None  # cites nothing
    full = [e["id"] for e in soup(out, "references.html").select("#refs .csl-entry")]
    assert full == ["ref-doe2020", "ref-roe2021", "ref-unhcr2024"]  # cited anywhere, not more
    assert "Counting Those Who Left" in text(soup(out, "references.html").find(id="ref-roe2021"))


def test_header_downloads_and_notebook(out):
    page = soup(out, "chapters/02-data.html")
    hrefs = [a["href"] for a in page.select("nav.downloads a")]
    assert hrefs == ["../notebooks/02-data.ipynb"]  # pdf=False: no PDF link
    assert json.loads((out / "notebooks" / "02-data.ipynb").read_text())["cells"]
    assert [a["href"] for a in soup(out, "chapters/01-method.html").select("nav.downloads a")] == []


def test_scholar_meta_tags(out):
    page = soup(out, "chapters/a-sources.html")
    tags = [
        (m["name"], m["content"])
        for m in page.find_all("meta", attrs={"name": True})
        if m["name"].startswith("citation_")
    ]
    # a chapter page is cited by its own title, as part of the book (as Quarto does)
    assert ("citation_title", "Data and sources") in tags
    assert ("citation_book_title", "Conformance Book") in tags
    index = soup(out, "index.html")
    assert index.find("meta", attrs={"name": "citation_title"})["content"] == "Conformance Book"
    assert [v for k, v in tags if k == "citation_author"] == ["Ada Example", "Grace Sample"]
    assert ("citation_publication_date", "2024/05/01") in tags


def test_citation_meta_hook_uses_site_url_and_overrides(out):
    from exile_report.render.frontend import load_book

    book = load_book(BOOK, None, out.parent / "media2")
    book.meta["site_url"] = "https://example.org/report/"
    book.meta["citation"] = {"citation_publisher": "Example Press"}
    tags = dict(citation_meta(book, "exile-report.pdf"))
    assert tags["citation_pdf_url"] == "https://example.org/report/exile-report.pdf"
    assert tags["citation_publisher"] == "Example Press"


def test_search_index_is_a_script_setting_a_global(out):
    js = (out / "search-index.js").read_text(encoding="utf-8")
    assert js.startswith("window.BOOK_SEARCH_INDEX = ") and js.endswith(";\n")
    index = json.loads(js[len("window.BOOK_SEARCH_INDEX = ") : -2])
    figure = next(e for e in index if e["id"] == "sec-figure")
    assert figure["p"] == "chapters/02-data.html" and figure["t"] == "2.1 A figure"
    assert "shows the trend" in figure["x"]
    assert {e["p"] for e in index} == set(PAGES)
    page = soup(out, "index.html")
    assert page.find("input", id="search-input")
    assert [s["src"] for s in page.find_all("script")] == ["search-index.js", "assets/book.js"]


def test_assets_are_local_and_css_is_responsive_and_printable(out):
    css = (out / "assets" / "book.css").read_text()
    assert "@media print" in css and "@media (max-width" in css
    assert "--measure: 70ch" in css
    for path in out.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            body = path.read_text(encoding="utf-8")
            assert not re.search(r"(src|href)=\"(https?:)?//", body), path
            assert "@import" not in body and "url(http" not in body, path
            assert str(BOOK.resolve()) not in body and "/tmp/" not in body, path


def test_output_is_reproducible(out, tmp_path):
    again = tmp_path / "again"
    render_book(
        BOOK,
        {},
        again,
        meta={"version": "0.1.0", "licence": "CC BY 4.0"},
        engine="builtin",
        pdf=False,
    )
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_refuses_a_non_empty_output_folder(tmp_path):
    (tmp_path / "old.html").write_text("x")
    with pytest.raises(RenderError, match="not empty"):
        render_book(BOOK, {}, tmp_path, engine="builtin", pdf=False)


def test_html_and_pdf_render_fast(tmp_path):
    started = time.perf_counter()
    result = render_book(BOOK, {}, tmp_path / "book", meta={"version": "0.1.0"}, engine="builtin")
    elapsed = time.perf_counter() - started
    print(f"render seconds: {result['seconds']}")
    assert elapsed < 5.0, result["seconds"]
    if result["pdf"] is not None:  # the PDF writer is a separate module
        assert result["pdf"].stat().st_size > 1000
        assert soup(tmp_path / "book", "index.html").select_one(
            'nav.downloads a[href="exile-report.pdf"]'
        )


# ----------------------------------------------------------------------------- engine choice


def _fake_quarto(tmp_path, monkeypatch, script: str) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "quarto"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return fake


def test_quarto_on_path_is_not_used_unless_chosen(tmp_path, monkeypatch):
    called = tmp_path / "called"
    _fake_quarto(tmp_path, monkeypatch, f"touch '{called}'\nexit 1\n")
    monkeypatch.delenv("EXILE_ENGINE", raising=False)
    result = render_book(BOOK, {}, tmp_path / "out", meta={"version": "0.1.0"}, pdf=False)
    assert result["engine"] == "builtin" and not called.exists()


def test_quarto_failure_shows_its_whole_output_without_colour_codes(tmp_path, monkeypatch):
    lines = "".join(f"printf '\\033[31mline {i} of the error\\033[39m\\n' >&2\n" for i in range(40))
    _fake_quarto(tmp_path, monkeypatch, lines + "exit 1\n")
    with pytest.raises(RenderError, match=r"quarto render failed \(exit 1\)") as err:
        render_book(BOOK, {}, tmp_path / "out", engine="quarto")
    message = str(err.value)
    assert "line 0 of the error" in message and "line 39 of the error" in message
    assert "\x1b" not in message and "[31m" not in message


def test_quarto_engine_without_quarto_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match=r"quarto: not found on PATH.*--engine builtin"):
        render_book(BOOK, {}, tmp_path / "out", engine="quarto")


def test_unknown_engine_is_refused(tmp_path):
    with pytest.raises(RenderError, match=r"engine must be one of builtin, quarto, not 'latex'"):
        render_book(BOOK, {}, tmp_path / "out", engine="latex")


def test_front_end_checks_run_before_quarto(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "quarto"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    project = tmp_path / "book"
    shutil.copytree(BOOK, project)
    (project / "index.qmd").write_text("# Preface\n\nSee @fig-nope.\n")
    with pytest.raises(RenderError, match=r"index\.qmd: line 3.*@fig-nope"):
        render_book(project, {}, tmp_path / "out")


def test_footnotes_stay_on_their_page(out):
    method = soup(out, "chapters/01-method.html")
    ref = method.find("a", class_="footnote-ref")
    note = method.find(id=ref["href"][1:])
    assert "A footnote of chapter 1" in text(note)
    assert note.find("a", href="#ref-roe2021")  # a citation inside a footnote links too
    appendix = soup(out, "chapters/a-sources.html")
    notes = [text(li) for li in appendix.select("section.footnotes li")]
    assert len(notes) == 1 and "A footnote of appendix A" in notes[0]
    assert not soup(out, "chapters/02-data.html").select("section.footnotes")


def test_quarto_clock_dates_are_not_resolved(tmp_path):
    from exile_report.render.frontend import load_book

    project = tmp_path / "book"
    shutil.copytree(BOOK, project)
    config = project / "_quarto.yml"
    config.write_text(config.read_text().replace('date: "2024-05-01"', "date: last-modified"))
    assert load_book(project, None, tmp_path / "m").date == ""
    assert (
        load_book(project, None, tmp_path / "m", meta={"date": "2025-02-03"}).date == "2025-02-03"
    )


def test_colours_pass_wcag_aa():
    """Text colours of the stylesheet against their backgrounds: at least 4.5:1."""
    from exile_report.render.html import ASSETS

    css = (ASSETS / "book.css").read_text()
    var = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def ratio(a: str, b: str) -> float:
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for fg in ("text", "muted", "link", "link-visited"):
        for bg in ("bg", "panel"):
            assert ratio(var[fg], var[bg]) >= 4.5, (fg, bg, ratio(var[fg], var[bg]))
