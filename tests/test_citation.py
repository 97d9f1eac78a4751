"""Citing the report: CITATION.cff, the "How to cite" page and its landing-page copy, Scholar
meta tags, PDF metadata and colophon, and the data bundle (validated with frictionless)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from exile_report import __version__

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = ROOT / ".venv-cff" / "bin" / "cffconvert"


def _quarto_book(repo: Path) -> dict:
    return yaml.safe_load((repo / "_quarto.yml").read_text(encoding="utf-8"))["book"]


def _edition(repo: Path) -> dict:
    return yaml.safe_load((repo / "_variables.yml").read_text(encoding="utf-8"))["edition"]


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# --------------------------------------------------------------------------- CITATION.cff


def test_citation_cff_validates():
    if not CFFCONVERT.exists():
        pytest.skip(
            ".venv-cff/ is absent: run 'make cff' (make test does) to validate "
            "CITATION.cff with cffconvert 2.0.0"
        )
    proc = subprocess.run(
        [str(CFFCONVERT), "--validate", "-i", str(ROOT / "CITATION.cff")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stdout


def test_citation_cff_matches_the_book():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    book = _quarto_book(ROOT)
    title = f"{book['title']}: {book['subtitle']}"
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    authors = [{"name": a["name"]} for a in book.get("author") or config["author"]]
    assert cff["version"] == __version__
    assert cff["title"] == title
    assert cff["authors"] == authors
    preferred = cff["preferred-citation"]
    assert (preferred["type"], preferred["title"], preferred["authors"]) == (
        "report",
        title,
        authors,
    )
    assert preferred["edition"] == __version__


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


def test_how_to_cite_page_carries_the_edition(built, book):
    edition = _edition(built)
    title = f"{_quarto_book(built)['title']}: {_quarto_book(built)['subtitle']}"
    text, bibtex = _citation_block(book / "chapters" / "A3-how-to-cite.html")
    assert text.startswith(f"Exile Report team ({edition['year']}). {title}. ")
    assert f"Edition {edition['version']}, {edition['date']}" in text
    assert edition["commit"] in text
    assert edition["version"] == __version__
    fields = dict(re.findall(r"^\s*(\w+)\s*=\s*[{\"](.*)[}\"],?$", bibtex, re.MULTILINE))
    assert bibtex.lstrip().startswith(f"@book{{pushed_out_{edition['year']},")
    assert fields["title"] == title
    assert (fields["year"], fields["date"], fields["edition"]) == (
        edition["year"],
        edition["date"],
        edition["version"],
    )
    assert edition["commit"] in fields["note"]
    assert bibtex.count("{") == bibtex.count("}")


def test_landing_page_repeats_the_citation(book):
    assert _citation_block(book / "index.html") == _citation_block(
        book / "chapters" / "A3-how-to-cite.html"
    )
    soup = _soup(book / "index.html")
    assert soup.find(id="sec-cite-this-edition").find("h2").get_text() == "How to cite this edition"
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "duplicate ids on the landing page"


def test_scholar_meta_tags_on_every_page(built, book):
    edition = _edition(built)
    pages = sorted(p for p in book.rglob("*.html") if "site_libs" not in p.parts)
    assert len(pages) >= 9
    for page in pages:
        meta = {}
        for tag in _soup(page).find_all("meta", attrs={"name": re.compile(r"^citation_")}):
            meta.setdefault(tag["name"], []).append(tag["content"])
        assert meta.get("citation_title") == ["Pushed Out"], page.name
        assert meta.get("citation_author") == ["Exile Report team"], page.name
        # Quarto writes the date as ISO (2026-01-01), the built-in engine as Scholar shows it
        assert [d.replace("-", "/") for d in meta.get("citation_publication_date", [])] == [
            edition["date"].replace("-", "/")
        ], page.name
        assert meta.get("citation_pdf_url") == ["exile-report.pdf"], page.name
        assert "political exile" in ",".join(meta.get("citation_keywords", [])), page.name


def test_pdf_metadata_and_colophon(built, book):
    import pypdf

    edition = _edition(built)
    cfg = yaml.safe_load((built / "_quarto.yml").read_text(encoding="utf-8"))
    reader = pypdf.PdfReader(book / "exile-report.pdf")
    info = reader.metadata
    assert info.title == cfg["book"]["title"]
    assert info.author == "Exile Report team"
    assert info.subject == cfg["book"]["subtitle"]
    assert info.creation_date.date().isoformat() == edition["date"]
    keywords = info.get("/Keywords") or ""
    assert "political exile" in keywords, f"PDF keywords: {keywords!r}"
    # the front matter: the colophon is on the title page's verso (built-in) or right after the
    # contents (Quarto's typst book, whose contents take more pages)
    front = " ".join(" ".join(p.extract_text() for p in reader.pages[:8]).split())
    assert "Colophon" in front, "no colophon in the first pages of the PDF"
    colophon = front[front.index("Colophon") :]
    assert f"Edition {edition['version']} ({edition['date']})" in colophon
    assert f"Built from source commit {edition['commit']}" in colophon
    assert f"Edition date {edition['date']} (set by SOURCE_DATE_EPOCH)" in colophon
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
