"""Data reach the reader as text: the escaping helpers, typst's root, the pages' security policy."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from exile_report.escape import is_citation, markdown_cell, markdown_text
from exile_report.plotting import markdown_table
from exile_report.render.model import RenderError
from exile_report.render.pdf import write_pdf
from test_render_pdf import make_book

ATTACKS = [
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '`#read("/etc/hostname")`{=typst}',
    "@fig-secret and [@fig-secret]",
    "*x* and _y_ and ~z~ and ^w^ and $m$",
    "[link](http://example.invalid) ![img](x.png)",
    "&lt;script&gt; <script>alert(1)</script> rest",
    "a | b \\ c {#id .class}",
]


def _pandoc(markdown: str, to: str) -> str:
    import subprocess

    from exile_report.provenance import pandoc_path

    return subprocess.run(
        [pandoc_path(), "-f", "markdown", "-t", to],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _straight(text: str) -> str:
    """Quotes as typed: escaping leaves pandoc's typographic quotes on purpose."""
    return " ".join(text.translate(str.maketrans("“”‘’", "\"\"''")).split())


@pytest.mark.parametrize("text", ATTACKS)
def test_escaped_text_renders_as_exactly_its_characters(text):
    plain = _pandoc(markdown_text(text), "plain").strip()
    assert _straight(plain) == " ".join(text.split())


def test_table_cells_are_text_and_citations_stay_citations():
    import pandas as pd

    df = pd.DataFrame(
        {
            "Claim": [ATTACKS[0], "50% returned [@onet_2024_ranepa650k]"],
            "Source": ["[@a_2020_b; @c_nd_d]", "[@fig-x]"],
        }
    )
    md = markdown_table(df)
    html = _pandoc(md, "html")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "[@onet_2024_ranepa650k]" in md and "[@a_2020_b; @c_nd_d]" in md
    assert "\\[\\@fig-x\\]" in md  # a cross-reference is not a citation key: text
    assert is_citation("[@a_2020_b]") and not is_citation("[@fig-x]")
    assert markdown_cell("x [@fig-a]") == "x \\[\\@fig-a\\]"


def test_typst_cannot_read_outside_its_build_folder(tmp_path):
    """Raw typst that slipped into a chapter cannot read the builder's files: typst's root is
    the folder holding the staged book (it was "/": /etc/hostname ended up in the PDF)."""
    secret = Path("/etc/hostname")
    if not secret.is_file():
        secret = tmp_path.parent / "secret.txt"
        secret.write_text(socket.gethostname())
    book = make_book(tmp_path)
    book.chapters[1].markdown += f'\n\n`#read("{secret}")`{{=typst}}\n'
    with pytest.raises(RenderError, match=r"typst failed.*01-history"):
        write_pdf(book, tmp_path / "book.pdf", tmp_path)
    assert not (tmp_path / "book.pdf").exists()


def test_pages_satisfy_their_content_security_policy_and_it_blocks_injection(built_repo):
    """Every page loads under its own CSP without a violation (search still works); the same
    page with an inline script and an outside image has both blocked."""
    pytest.importorskip("playwright")
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium not installed")
    book = built_repo / "_book"
    page_text = (book / "chapters" / "02-scale.html").read_text(encoding="utf-8")
    injected = book / "chapters" / "zz-injected.html"
    injected.write_text(
        page_text.replace(
            '<main id="content" class="content">',
            '<main id="content" class="content"><script>console.log("ran")</script>'
            '<img src="http://example.invalid/x.png">',
        ),
        encoding="utf-8",
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            results = {}
            for name in [
                *sorted(
                    x.relative_to(book).as_posix() for x in book.rglob("*.html") if x != injected
                ),
                injected.relative_to(book).as_posix(),
            ]:
                page = browser.new_page()
                events: list[str] = []
                page.on("console", lambda m, events=events: events.append(m.text))
                page.add_init_script(
                    "document.addEventListener('securitypolicyviolation', e => "
                    "console.log('CSP ' + e.violatedDirective + ' ' + e.blockedURI))"
                )
                page.goto((book / name).resolve().as_uri())
                page.fill("#search-input", "asylum")
                page.wait_for_timeout(200)
                results[name] = (events, page.locator("#search-results li").count())
                page.close()
            browser.close()
    finally:
        injected.unlink()
    for name, (events, hits) in results.items():
        if name == injected.relative_to(book).as_posix():
            assert any("CSP script-src" in e for e in events), events
            assert any("CSP img-src http://example.invalid" in e for e in events), events
            assert "ran" not in events
        else:
            assert not [e for e in events if e.startswith("CSP")], (name, events)
            assert hits > 0, name
