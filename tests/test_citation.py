"""Citing the report: CITATION.cff, the "How to cite" page and its landing-page copy, Scholar
meta tags, PDF metadata and colophon, and the data bundle (validated with frictionless)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from exile_report import __version__, identity

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = ROOT / ".venv-cff" / "bin" / "cffconvert"


def _quarto_book(repo: Path) -> dict:
    return yaml.safe_load((repo / "_quarto.yml").read_text(encoding="utf-8"))["book"]


def _edition(repo: Path) -> dict:
    return yaml.safe_load((repo / "_variables.yml").read_text(encoding="utf-8"))["edition"]


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# --------------------------------------------------------------------------- CITATION.cff


def _cffconvert(*args: str) -> subprocess.CompletedProcess:
    if not CFFCONVERT.exists():
        pytest.skip(".venv-cff/ is absent: run 'make cff' (make test does) to run cffconvert 2.0.0")
    return subprocess.run(
        [str(CFFCONVERT), *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_citation_cff_validates():
    proc = _cffconvert("--validate", "-i", str(ROOT / "CITATION.cff"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stdout


def test_citation_cff_is_generated_from_quarto_yml():
    """CITATION.cff is what `python -m exile_report.identity` writes from _quarto.yml."""
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == identity.cff_text(
        identity.load(ROOT)
    ), "CITATION.cff is stale: run `python -m exile_report.identity`"


def test_citation_cff_matches_the_book():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    book = _quarto_book(ROOT)
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    edition = config["edition"]
    title = f"{book['title']}: {book['subtitle']}"
    # the author is an organisation: a literal name in _quarto.yml, an entity (name:) in CFF
    authors = [{"name": a["name"]["literal"]} for a in config["author"]]
    assert edition["version"] == __version__
    assert cff["version"] == __version__
    assert cff["date-released"] == edition["released"]
    assert cff["title"] == title
    assert cff["authors"] == authors
    assert cff["license"] == [edition["licence"], edition["code-licence"]]
    preferred = cff["preferred-citation"]
    assert (preferred["type"], preferred["title"], preferred["authors"]) == (
        "book",
        title,
        authors,
    )
    assert preferred["edition"] == __version__
    assert preferred["year"] == int(edition["released"][:4])
    # no address or DOI is declared in _quarto.yml, so none is in the CFF
    for key in ("url", "repository-code", "doi"):
        assert (key in cff) == bool(book.get({"url": "site-url"}.get(key, "repo-url"))) or (
            key == "doi" and (key in cff) == bool(config["citation"].get("doi"))
        ), key


def test_changelog_lists_the_edition():
    ident = identity.load(ROOT)
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"Edition {ident.version} ({ident.released})" in text
    assert "{{< include ../CHANGELOG.md >}}" in (
        ROOT / "chapters" / "A3-how-to-cite.qmd"
    ).read_text(encoding="utf-8")


def _with_addresses(tmp_path: Path) -> tuple[identity.Identity, Path]:
    """The edition with a site, a repository and a DOI set (the real one has none yet)."""
    ident = dataclasses.replace(
        identity.load(ROOT),
        site_url="https://example.org/pushed-out",
        repository="https://example.org/code/pushed-out",
        doi="10.5281/zenodo.0000000",
    )
    path = tmp_path / "CITATION.cff"
    path.write_text(identity.cff_text(ident), encoding="utf-8")
    return ident, path


def test_cffconvert_bibtex_and_apa_are_complete(tmp_path):
    """cffconvert 2.0.0 gives a complete entry from CITATION.cff: the organisation, title,
    year and month (date-released), the version (APA), and the address when one is set."""
    ident = identity.load(ROOT)
    bib = _cffconvert("-f", "bibtex", "-i", str(ROOT / "CITATION.cff"))
    assert bib.returncode == 0, bib.stderr
    assert f"author = {{{ident.authors[0]}}}" in bib.stdout
    assert f"title = {{{ident.full_title}}}" in bib.stdout
    assert f"year = {{{ident.year}}}" in bib.stdout
    assert f"month = {{{int(ident.released[5:7])}}}" in bib.stdout
    assert "url = " not in bib.stdout  # no address declared, none invented
    apa = _cffconvert("-f", "apalike", "-i", str(ROOT / "CITATION.cff"))
    assert apa.returncode == 0, apa.stderr
    assert apa.stdout.startswith(f"{ident.authors[0]} ({ident.year}). {ident.full_title}")
    assert f"(version {ident.version})" in apa.stdout
    # with addresses set, both carry them
    ident, path = _with_addresses(tmp_path)
    assert _cffconvert("--validate", "-i", str(path)).returncode == 0
    bib = _cffconvert("-f", "bibtex", "-i", str(path)).stdout
    assert f"url = {{{ident.site_url}}}" in bib and f"doi = {{{ident.doi}}}" in bib
    apa = _cffconvert("-f", "apalike", "-i", str(path)).stdout
    assert ident.site_url in apa and ident.doi in apa


def test_own_bibtex_is_a_protected_book_entry(tmp_path):
    ident = identity.load(ROOT)
    bib = identity.bibtex(ident, commit="abc123")
    assert bib.startswith(f"@book{{pushed_out_{ident.year},")
    assert f"title   = {{{{{ident.full_title}}}}}" in bib  # double braces: case kept
    assert "author  = {{Exile Report team}}" in bib  # an organisation, not a surname "team"
    assert "url" not in bib and "doi" not in bib
    ident, _ = _with_addresses(tmp_path)
    bib = identity.bibtex(ident, commit="abc123", variant="variant 1a2b3c4d")
    assert f"url     = {{{ident.site_url}}}" in bib and f"doi     = {{{ident.doi}}}" in bib
    assert "edition = {0.1.0 variant 1a2b3c4d}" in bib.replace(ident.version, "0.1.0")
    assert bib.count("{") == bib.count("}")


def test_identity_refuses_what_it_cannot_vouch_for(tmp_path):
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    (tmp_path / "_quarto.yml").write_text(
        text.replace(
            "  output-file: exile-report\n",
            "  output-file: exile-report\n  site-url: example.org\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(identity.IdentityError, match="site-url.*https://"):
        identity.load(tmp_path)
    (tmp_path / "_quarto.yml").write_text(
        text.replace("  type: book\n", "  type: report\n"), encoding="utf-8"
    )
    with pytest.raises(identity.IdentityError, match="one item type"):
        identity.load(tmp_path)


def test_meta_tags_absolute_with_a_site_and_relative_without(tmp_path):
    """Both engines' Scholar tags: with a site address every citation_* address is absolute;
    without one, none is invented and the PDF's address is right from each page's folder."""
    from exile_report.render.html import citation_meta
    from exile_report.render.model import Book
    from exile_report.render.quarto import mark_pages

    book = Book(
        title="Pushed Out",
        subtitle="",
        authors=["Exile Report team"],
        date="2026-11-30",
        version="0.1.0",
        chapters=[],
        bibliography=[],
    )
    tags = dict(citation_meta(book, "exile-report.pdf", "chapters/02-scale.html", "The scale"))
    assert tags["citation_title"] == "The scale" and tags["citation_book_title"] == "Pushed Out"
    assert tags["citation_pdf_url"] == "../exile-report.pdf"
    assert "citation_fulltext_html_url" not in tags
    book.meta["site_url"] = "https://example.org/pushed-out"
    tags = dict(citation_meta(book, "exile-report.pdf", "chapters/02-scale.html", "The scale"))
    assert tags["citation_pdf_url"] == "https://example.org/pushed-out/exile-report.pdf"
    assert tags["citation_fulltext_html_url"] == (
        "https://example.org/pushed-out/chapters/02-scale.html"
    )
    # Quarto's pages: the build rewrites the relative pdf-url of _quarto.yml the same way
    for site, want in (
        ("", "../exile-report.pdf"),
        ("https://example.org/b", "https://example.org/b/exile-report.pdf"),
    ):
        page = tmp_path / site.replace("/", "_").replace(":", "") / "chapters" / "x.html"
        page.parent.mkdir(parents=True)
        page.write_text(
            '<html><head><meta name="citation_pdf_url" content="exile-report.pdf">'
            "</head><body><p>x</p></body></html>",
            encoding="utf-8",
        )
        mark_pages(page.parent.parent, {"site_url": site})
        assert f'content="{want}"' in page.read_text(encoding="utf-8")
    # Quarto 1.11 writes a numbered chapter's title tag as its heading's Markdown source
    page.write_text(
        '<html><head><meta name="citation_title" content="[[1]{.chapter-number}  '
        '[The long history of exile]{.chapter-title}]{#sec-history .quarto-section-identifier}">'
        "</head><body></body></html>",
        encoding="utf-8",
    )
    mark_pages(page.parent.parent, {})
    assert 'name="citation_title" content="The long history of exile"' in page.read_text(
        encoding="utf-8"
    )
    page.write_text(
        '<html><head><meta name="citation_title" content="[Appendix A — Data and sources]'
        '{#sec-data-sources .quarto-section-identifier}"></head><body></body></html>',
        encoding="utf-8",
    )
    mark_pages(page.parent.parent, {})
    assert 'name="citation_title" content="Data and sources"' in page.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the built book


# Each test below runs on the book of each engine (the Quarto one skipped without quarto on PATH).


@pytest.fixture(scope="module")
def built(reader_repo) -> Path:
    return reader_repo


@pytest.fixture(scope="module")
def book(built) -> Path:
    return built / "_book"


def _citation_block(page: Path) -> tuple[str, str]:
    """(plain-text citation, BibTeX) of the citation block on a page."""
    soup = _soup(page)
    block = soup.find(class_="cite-block")
    assert block is not None, f"{page.name}: no citation block"
    text = " ".join(block.find(class_="citation-text").get_text().split())
    return text, block.find("code").get_text()


def _meta(page: Path) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for tag in _soup(page).find_all("meta", attrs={"name": re.compile(r"^citation_")}):
        meta.setdefault(tag["name"], []).append(tag["content"])
    return meta


def _bibtex_fields(bibtex: str) -> dict[str, str]:
    fields = dict(re.findall(r"^\s*(\w+)\s*=\s*\{(.*)\},?$", bibtex, re.MULTILINE))
    return {k: v[1:-1] if v.startswith("{") and v.endswith("}") else v for k, v in fields.items()}


def test_how_to_cite_page_carries_the_edition(built, book):
    edition = _edition(built)
    ident = identity.load(built)
    text, bibtex = _citation_block(book / "chapters" / "A3-how-to-cite.html")
    assert text.startswith(f"Exile Report team ({ident.year}). {ident.full_title}. ")
    assert f"Edition {edition['version']}, {identity.long_date(ident.released)}" in text
    assert edition["commit"] in text
    assert edition["version"] == __version__  # the fixture's build is the edition, no variant
    assert bibtex.lstrip().startswith(f"@book{{pushed_out_{ident.year},")
    fields = _bibtex_fields(bibtex)
    assert fields["title"] == ident.full_title
    assert fields["author"] == "Exile Report team"
    # brace-protected: the organisation is not split into a surname, the title keeps its case
    assert "{{Exile Report team}}" in bibtex and "{{" + ident.full_title + "}}" in bibtex
    assert (fields["year"], fields["date"], fields["edition"]) == (
        ident.year,
        ident.released,
        ident.version,
    )
    assert edition["commit"] in fields["note"]
    assert "url" not in fields and "doi" not in fields  # none declared, none invented
    assert bibtex.count("{") == bibtex.count("}")
    page = _soup(book / "chapters" / "A3-how-to-cite.html").get_text()
    assert f"Edition {ident.version} ({ident.released})" in page  # the CHANGELOG, printed


def test_how_to_cite_meta_tags_and_cff_agree(built, book):
    """Field by field: the How-to-cite BibTeX, the Scholar tags of the landing page and
    CITATION.cff name the same item type, title, authors, year, date and version."""
    cff = yaml.safe_load((built / "CITATION.cff").read_text(encoding="utf-8"))
    pref = cff["preferred-citation"]
    _text, bibtex = _citation_block(book / "chapters" / "A3-how-to-cite.html")
    fields = _bibtex_fields(bibtex)
    meta = _meta(book / "index.html")
    assert bibtex.lstrip().startswith("@" + pref["type"] + "{") and pref["type"] == "book"
    assert fields["title"] == pref["title"] == cff["title"]
    assert meta["citation_title"] == [_quarto_book(built)["title"]]
    assert pref["title"].startswith(meta["citation_book_title"][0] + ": ")
    assert [fields["author"].strip("{}")] == [a["name"] for a in pref["authors"]]
    assert meta["citation_author"] == [a["name"] for a in pref["authors"]]
    assert fields["year"] == str(pref["year"]) == meta["citation_year"][0]
    assert fields["date"] == str(cff["date-released"])
    assert meta["citation_publication_date"][0].replace("/", "-") == str(cff["date-released"])
    assert fields["edition"] == str(pref["edition"]) == str(cff["version"])
    for key, tag in (("url", "citation_fulltext_html_url"), ("doi", "citation_doi")):
        assert (key in fields) == (key in cff) == (tag in meta), key


def test_scholar_meta_tags_on_every_page(built, book):
    """Each page is cited by its own title as part of the book, with the edition's date."""
    ident = identity.load(built)
    pages = sorted(p for p in book.rglob("*.html") if "site_libs" not in p.parts)
    assert len(pages) >= 9
    titles = set()
    for page in pages:
        meta = _meta(page)
        rel = page.relative_to(book).as_posix()
        (title,) = meta.get("citation_title", [None])
        titles.add(title)
        if rel == "index.html":
            assert title == "Pushed Out", rel
        else:
            h1 = _soup(page).find("h1")
            shown = " ".join((h1.find(class_="chapter-title") or h1).get_text().split())
            # the chapter's title, without its number (Quarto's appendix h1 has no span)
            assert title == re.sub(r"^Appendix [A-Z]+ [—–-] ", "", shown), rel
        assert meta.get("citation_book_title") == ["Pushed Out"], rel
        assert meta.get("citation_author") == ["Exile Report team"], rel
        # Quarto writes the date as ISO (2026-01-01), the built-in engine as Scholar shows it
        assert [d.replace("-", "/") for d in meta.get("citation_publication_date", [])] == [
            ident.released.replace("-", "/")
        ], rel
        # no site address is declared: the PDF's address is relative to the page, right
        assert meta.get("citation_pdf_url") == ["../" * rel.count("/") + "exile-report.pdf"], rel
        assert (page.parent / meta["citation_pdf_url"][0]).resolve() == (
            book / "exile-report.pdf"
        ).resolve()
        assert "citation_fulltext_html_url" not in meta and "citation_doi" not in meta, rel
        assert "citation_technical_report_number" not in meta, rel  # one item type: a book
        assert "political exile" in ",".join(meta.get("citation_keywords", [])), rel
    assert len(titles) == len(pages), "pages share a citation title"


def test_pdf_metadata_and_colophon(built, book):
    import pypdf

    edition = _edition(built)
    ident = identity.load(built)
    cfg = yaml.safe_load((built / "_quarto.yml").read_text(encoding="utf-8"))
    reader = pypdf.PdfReader(book / "exile-report.pdf")
    info = reader.metadata
    assert info.title == cfg["book"]["title"]
    assert info.author == "Exile Report team"
    assert info.subject == cfg["book"]["subtitle"]
    assert info.creation_date.date().isoformat() == ident.released
    keywords = info.get("/Keywords") or ""
    assert "political exile" in keywords, f"PDF keywords: {keywords!r}"
    # the front matter: the colophon is on the title page's verso (built-in) or right after the
    # contents (Quarto's typst book, whose contents take more pages)
    front = " ".join(" ".join(p.extract_text() for p in reader.pages[:8]).split())
    assert "Colophon" in front, "no colophon in the first pages of the PDF"
    colophon = front[front.index("Colophon") :]
    assert f"Edition {ident.version} ({ident.released})" in colophon
    assert f"Built from source commit {edition['commit']}" in colophon
    # the build's date is its own row, and says where it comes from
    assert f"Build date {edition['built']} (set by SOURCE_DATE_EPOCH)" in colophon
    assert "Licence text and figures CC-BY-4.0; code MIT" in colophon
    assert "Variant" not in colophon.split("Parameters")[0]  # the edition, not a variant
    # the data bundle: where it is, without a link that breaks when the PDF travels alone
    assert "exile-report-data.zip, published beside this PDF" in colophon
    for annotation in (a.get_object() for p in reader.pages for a in p.get("/Annots") or []):
        uri = (annotation.get("/A") or {}).get("/URI")
        assert uri is None or re.match(r"^[a-z]+:", str(uri)), f"relative link {uri!r}"
    from exile_report.params import defaults as declared_defaults

    defaults = declared_defaults()
    for chapter, values in defaults.items():
        if values:
            assert f"Parameters, {chapter}" in colophon, chapter
    assert f"start_year = {defaults['history']['start_year']}" in colophon


def test_data_bundle_validates_and_says_how_to_cite(book, tmp_path):
    with zipfile.ZipFile(book / "exile-report-data.zip") as zf:
        zf.extractall(tmp_path)
    root = tmp_path / "exile-report-data"
    descriptor = yaml.safe_load((root / "datapackage.json").read_text(encoding="utf-8"))
    paths = [r["path"] for r in descriptor["resources"]]
    assert any(p.startswith("processed/") for p in paths)
    assert any(p.startswith("curated/") for p in paths)
    assert all((root / p).is_file() for p in paths), paths
    frictionless = Path(sys.executable).parent / "frictionless"
    proc = subprocess.run(
        [str(frictionless), "validate", "datapackage.json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    readme = (root / "HOW-TO-CITE.md").read_text(encoding="utf-8")
    assert "How to cite" in readme
    sources = yaml.safe_load((root / "sources.yml").read_text(encoding="utf-8"))
    entries = sources.get("sources", sources) if isinstance(sources, dict) else sources
    keys = [e["citation_key"] for e in (entries.values() if isinstance(entries, dict) else entries)]
    assert keys and all(k in readme for k in keys)
