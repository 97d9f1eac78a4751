"""Variant builds: a build with parameters other than the edition's defaults (or from a modified
tree) says so on its title page, colophon, every HTML page and in its PDF's name, and
``build --out DIR`` publishes it into DIR without touching ``_book/``."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import run_cli
from exile_report.build import BuildError, _out_dir
from exile_report.provenance import params_hash, variant


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_variant_names_itself():
    defaults = {"history": {"start_year": 1822}}
    assert variant(defaults, defaults, dirty=False).label == ""
    assert variant(defaults, defaults, dirty=False).file_suffix == ""
    other = {"history": {"start_year": 1900}}
    v = variant(other, defaults, dirty=False)
    assert v.label == f"variant {params_hash(other)}" and len(params_hash(other)) == 8
    assert v.file_suffix == f"-variant-{params_hash(other)}"
    assert "parameters other than" in v.explanation()
    d = variant(defaults, defaults, dirty=True)
    assert d.label.endswith(", uncommitted changes") and d.file_suffix.endswith("-dirty")
    assert params_hash(other) != params_hash(defaults)


def test_out_refuses_the_sources(tmp_path):
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    for bad in (root, root / "data", root / "data" / "x", root / "_build" / "v", tmp_path):
        with pytest.raises(BuildError, match="--out"):
            _out_dir(root, bad)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not empty"):
        _out_dir(root, tmp_path / "full")
    assert _out_dir(root, tmp_path / "variant") == (tmp_path / "variant").resolve()
    assert _out_dir(root, root / "_book") is None


SITE = "https://example.org/pushed-out"


def test_param_build_is_a_visible_variant_in_its_own_folder(scratch_repo, tmp_path):
    """One build for two things: a --param variant into --out, and a declared site address
    (absolute Scholar and PDF addresses, set in this copy's _quarto.yml)."""
    book_before = _digest(scratch_repo / "_book")
    config = scratch_repo / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "  output-file: exile-report\n", f"  output-file: exile-report\n  site-url: {SITE}\n"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "variant"
    proc = run_cli(
        scratch_repo,
        "build",
        "--param",
        "history.start_year=1900",
        "--out",
        str(out),
        env={"SOURCE_DATE_EPOCH": "1767225600"},
    )
    assert proc.returncode == 0, proc.stderr
    assert _digest(scratch_repo / "_book") == book_before, "--out touched _book/"
    pdfs = list(out.glob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].name.startswith("exile-report-variant-"), pdfs
    short = pdfs[0].name.removeprefix("exile-report-variant-").removesuffix(".pdf")
    assert len(short) == 8
    text = subprocess.run(
        ["pdftotext", "-l", "4", str(pdfs[0]), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())
    title_page = text.split("Colophon")[0]
    assert f"Edition 0.1.0 variant {short}" in title_page
    colophon = text.split("Colophon", 1)[1]
    assert f"variant build ({short}), not the published edition" in colophon
    assert "start_year = 1900" in colophon
    pages = sorted(p for p in out.rglob("*.html"))
    assert len(pages) >= 9
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        banner = soup.find(class_="variant-banner")
        assert banner is not None, page.name
        assert f"variant build ({short})" in banner.get_text(), page.name
        links = [a["href"] for a in soup.select('a[href$=".pdf"]')]
        assert links and all(h.endswith(pdfs[0].name) for h in links), (page.name, links)
        # the site address makes every citation address absolute
        meta = {m["name"]: m["content"] for m in soup.find_all("meta", attrs={"name": True})}
        rel = page.relative_to(out).as_posix()
        assert meta["citation_pdf_url"] == f"{SITE}/{pdfs[0].name}", rel
        assert meta["citation_fulltext_html_url"] == f"{SITE}/{rel}", rel
    how = (out / "chapters" / "A3-how-to-cite.html").read_text(encoding="utf-8")
    assert f"edition = {{0.1.0 variant {short}}}" in how
    assert f"url     = {{{SITE}}}" in how
    # the PDF's link to the data bundle points at the site, so it survives the PDF travelling
    import pypdf

    uris = {
        str((a.get_object().get("/A") or {}).get("/URI"))
        for p in pypdf.PdfReader(pdfs[0]).pages
        for a in p.get("/Annots") or []
    }
    assert f"{SITE}/exile-report-data.zip" in uris
    assert not any(u.endswith(".zip") and not u.startswith("https://") for u in uris)
