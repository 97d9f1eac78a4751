"""HTML writer: a :class:`Book` -> a multi-page, offline HTML book.

One page per chapter (``index.html`` for the preface) plus ``references.html``; every page has
the numbered contents in a sidebar, previous/next links, download links (PDF, executed
notebook), Google Scholar ``citation_*`` meta tags and an offline search box whose index is
``search-index.js`` (a script that sets a global, so it works from ``file://`` too).

One pandoc run (with citeproc) converts the whole book; its output is split into pages, each
page gets the reference list and footnotes it uses, and one Jinja2 template wraps them. Nothing here reads the clock or writes an
absolute path, so the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jinja2

from .model import CROSSREF_FILTER, Book, Chapter, RenderError

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"
SEARCH_TEXT_LIMIT = 4000  # characters of text per section kept in the search index

#: Content-Security-Policy of every page: the book loads its own scripts, styles, images and
#: downloads and nothing else; no inline script, no plugin, no form target, no base URL. Markup
#: that slipped into the text could therefore run nothing and load nothing from outside. Inline
#: ``style`` attributes stay allowed: pandoc writes table column widths with them.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self'; font-src 'self'; connect-src 'none'; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass
class Page:
    """One HTML page as it is being written."""

    chapter: Chapter
    name: str
    number_label: str  # "2", "Appendix A" or ""
    body: str = ""
    headings: list[dict] = field(default_factory=list)  # {"level", "id", "text"}
    sections: list[dict] = field(default_factory=list)  # search entries


def pandoc_path() -> str:
    """The pinned pandoc (see :func:`exile_report.provenance.pandoc_path`)."""
    from exile_report.provenance import pandoc_path as pinned

    return pinned()


def _pandoc_args(book: Book) -> list[str]:
    """Arguments of the one pandoc run that converts the whole book.

    Code is not syntax-highlighted: loading a highlighting grammar costs pandoc about half a
    second, more than the rest of the book, and the book's code is short.
    """
    args = [
        "-f",
        "markdown",
        "-t",
        "html5",
        "--wrap=none",
        "--section-divs",
        "--mathml",
        "--syntax-highlighting=none",
        f"--lua-filter={CROSSREF_FILTER}",
        "--citeproc",
        "-M",
        "link-citations=true",
        "-M",
        f"lang={book.language}",
    ]
    for bib in book.bibliography:
        args += ["--bibliography", str(bib)]
    if book.csl:
        args += ["--csl", str(book.csl)]
    return args


def run_pandoc(markdown: str, args: list[str], where: str, cwd: Path) -> str:
    """One pandoc run; any pandoc warning (e.g. a citation citeproc cannot find) is an error."""
    proc = subprocess.run(
        [pandoc_path(), *args],
        input=markdown.encode("utf-8"),
        capture_output=True,
        cwd=cwd,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise RenderError(f"{where}: pandoc failed: {stderr}")
    if stderr:
        raise RenderError(f"{where}: pandoc warned (warnings are errors): {stderr}")
    return proc.stdout.decode("utf-8")


PAGE_MARK = "<!--exile-page:{}-->"
PAGE_MARK_RE = re.compile(r"<!--exile-page:([^>]+)-->\n?")
FOOTNOTES_RE = re.compile(
    r'<section id="footnotes"[^>]*>\s*<hr />\s*<ol>(.*?)</ol>\s*</section>\s*$', re.DOTALL
)


def book_markdown(book: Book, pages: list[Page]) -> str:
    """All pages as one pandoc document, each page in its own div behind a marker comment.

    citeproc costs pandoc about half a second per run whatever the input, so the book is
    converted in one run and split at the markers afterwards. The ``nocite`` block puts every
    cited work in the book's bibliography (on the references page).
    """
    cited = list(dict.fromkeys(k for keys in book.meta.get("cited", {}).values() for k in keys))
    parts = []
    if cited:
        parts.append("---\nnocite: |\n  " + ", ".join(f"@{k}" for k in cited) + "\n---\n")
    for page in pages:
        parts.append(
            f"```{{=html}}\n{PAGE_MARK.format(page.name)}\n```\n\n"
            f"::: {{.book-page}}\n{page.chapter.markdown.rstrip()}\n:::\n"
        )
    return "\n".join(parts)


def split_book(output: str) -> tuple[dict[str, str], dict[str, str]]:
    """pandoc's HTML of the whole book -> (page name -> body, footnote number -> ``<li>``)."""
    notes: dict[str, str] = {}
    m = FOOTNOTES_RE.search(output)
    if m:
        output = output[: m.start()]
        for item in re.split(r'(?=<li id="fn\d+")', m.group(1)):
            num = re.match(r'<li id="fn(\d+)"', item)
            if num:
                notes[num.group(1)] = item.strip()
    chunks = PAGE_MARK_RE.split(output)
    bodies = {name: body.strip() + "\n" for name, body in zip(chunks[1::2], chunks[2::2])}
    return bodies, notes


def bibliography_entries(body: str) -> dict[str, str]:
    """``ref-key`` -> the entry's HTML, in the order citeproc sorted them (references page)."""
    m = re.search(r'<div id="refs"[^>]*>(.*)</div>', body, re.DOTALL)
    if not m:
        return {}
    entries = {}
    for item in re.split(r'(?=<div id="ref-)', m.group(1)):
        ident = re.match(r'<div id="(ref-[^"]+)"', item)
        if ident:
            entries[ident.group(1)] = item.strip()
    return entries


def page_references(body: str, entries: dict[str, str]) -> str:
    """A reference list of what this page cites, as Quarto puts at the end of each chapter."""
    used = set(re.findall(r'href="#(ref-[^"]+)"', body))
    items = [html_ for ident, html_ in entries.items() if ident in used]
    if not items:
        return ""
    return (
        '<section id="references" class="level2 unnumbered unlisted">\n<h2>References</h2>\n'
        '<div id="refs" class="references csl-bib-body hanging-indent" role="list">\n'
        + "\n".join(items)
        + "\n</div>\n</section>\n"
    )


def page_footnotes(body: str, notes: dict[str, str]) -> str:
    """The footnotes referenced on this page (pandoc numbers them through the whole book)."""
    used = [n for n in re.findall(r'href="#fn(\d+)"', body) if n in notes]
    if not used:
        return ""
    items = [notes[n].replace("<li ", f'<li value="{n}" ', 1) for n in dict.fromkeys(used)]
    return (
        '<section class="footnotes" role="doc-endnotes">\n<hr />\n<ol>\n'
        + "\n".join(items)
        + "\n</ol>\n</section>\n"
    )


def references_chapter(book: Book) -> Chapter:
    """A references page for books whose ``_quarto.yml`` does not list one."""
    return Chapter(
        key="references",
        kind="references",
        number=None,
        title="References",
        sec_id="sec-references",
        markdown="# References {#sec-references .unnumbered}\n\n::: {#refs}\n:::\n",
        source=Path("references"),
    )


# --------------------------------------------------------------------------- post-processing


class _Outline(HTMLParser):
    """Headings (h1–h3 with their section ids) and the text under each, for toc and search."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[dict] = []
        self.sections: list[dict] = []
        self._section_ids: list[str | None] = []
        self._in_heading: int | None = None
        self._heading_text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section_ids.append(attrs.get("id"))
        elif re.fullmatch(r"h[1-6]", tag):
            self._in_heading = int(tag[1])
            self._heading_text = []
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "section" and self._section_ids:
            self._section_ids.pop()
        elif re.fullmatch(r"h[1-6]", tag) and self._in_heading:
            text = " ".join("".join(self._heading_text).split())
            ident = self._section_ids[-1] if self._section_ids else None
            entry = {"level": self._in_heading, "id": ident, "text": text}
            self.headings.append(entry)
            self.sections.append({**entry, "body": []})
            self._in_heading = None
        elif tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_heading:
            self._heading_text.append(data)
        elif self.sections:
            self.sections[-1]["body"].append(data)


def _rewrite_links(body: str, page: str, id_pages: dict[str, str]) -> str:
    """``href="#fig-x"`` -> ``href="02-scale.html#fig-x"`` when the target is on another page."""

    def sub(m: re.Match) -> str:
        ident = html.unescape(m.group(1))
        target = id_pages.get(ident)
        if target is None or target == page:
            return m.group(0)
        return f'href="{target}#{m.group(1)}"'

    return re.sub(r'href="#([^"]+)"', sub, body)


URL_ATTR_RE = re.compile(r'\b(href|src|srcset)="([^"#][^"]*|)"')


def _relocate(text: str, page: str) -> str:
    """Book-root-relative URLs (``assets/book.css``, ``chapters/02-scale.html#fig-x``) made
    relative to the folder of ``page`` (``chapters/01-history.html``), where a browser reads them."""
    folder = posixpath.dirname(page)
    if not folder:
        return text

    def sub(m: re.Match) -> str:
        url = m.group(2)
        if not url or url.startswith("/") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
            return m.group(0)
        return f'{m.group(1)}="{posixpath.relpath(url, folder)}"'

    return URL_ATTR_RE.sub(sub, text)


PICTURE_RE = re.compile(r'<img src="([^"]+\.svg)"([^>]*?) data-png="([^"]+)"([^>]*?)\s*/?>')


def _polish_images(body: str) -> str:
    """SVG first with its PNG twin as fallback; drop attributes that are only for writers."""
    body = re.sub(r' data-fig-alt="[^"]*"', "", body)
    body = PICTURE_RE.sub(
        lambda m: (
            f'<picture><source srcset="{m.group(1)}" type="image/svg+xml">'
            f'<img src="{m.group(3)}"{m.group(2)}{m.group(4)} loading="lazy">'
            "</picture>"
        ),
        body,
    )
    return re.sub(r"<img ((?:(?!loading=)[^>])*?) ?/>", r'<img \1 loading="lazy">', body)


def _focusable_tables(body: str) -> str:
    """Tables scroll sideways on narrow screens; ``tabindex="0"`` lets a keyboard scroll them."""
    return re.sub(r"<table\b(?![^>]*\btabindex=)", '<table tabindex="0"', body)


def _number_h1(body: str, label: str) -> str:
    """Show the chapter number in the page's one ``<h1>`` the way Quarto does."""
    if not label:
        return body
    return re.sub(
        r"<h1([^>]*)>(.*?)</h1>",
        lambda m: (
            f'<h1{m.group(1)}><span class="chapter-number">{html.escape(label)}</span> '
            f'<span class="chapter-title">{m.group(2)}</span></h1>'
        ),
        body,
        count=1,
        flags=re.DOTALL,
    )


# --------------------------------------------------------------------------- metadata hook


def citation_meta(
    book: Book, pdf_name: str | None, page_name: str = "index.html", page_title: str | None = None
) -> list[tuple[str, str]]:
    """Google Scholar ``<meta name="citation_*">`` tags of one page, as Quarto writes them.

    Each page is cited by its own title (the landing page by the book's) as part of the book
    (``citation_book_title``); ``book.meta["site_url"]`` makes the page's and the PDF's
    addresses absolute (Scholar wants that), else the PDF's address is relative to the page.
    ``book.meta["citation"]`` (a dict) adds or overrides tags, e.g. ``{"citation_doi": "…"}``.
    """
    site = str(book.meta.get("site_url") or "").rstrip("/")
    depth = "../" * page_name.count("/")
    tags: list[tuple[str, str]] = [("citation_title", page_title or book.title)]
    tags += [("citation_author", a) for a in book.authors]
    if book.date:
        tags.append(("citation_publication_date", book.date.replace("-", "/")))
        tags.append(("citation_year", book.date[:4]))
    if site:
        tags.append(("citation_fulltext_html_url", f"{site}/{page_name}"))
    if pdf_name:
        tags.append(("citation_pdf_url", f"{site}/{pdf_name}" if site else depth + pdf_name))
    tags.append(("citation_language", book.language))
    if book.keywords:
        tags.append(("citation_keywords", "; ".join(book.keywords)))
    tags.append(("citation_book_title", book.title))
    extra = book.meta.get("citation") or {}
    tags = [(k, v) for k, v in tags if k not in extra]
    tags += sorted((str(k), str(v)) for k, v in extra.items())
    return [(k, v) for k, v in tags if v]


# --------------------------------------------------------------------------- writer


def _number_label(chapter: Chapter) -> str:
    if chapter.number is None:
        return ""
    return f"Appendix {chapter.number}" if chapter.kind == "appendix" else chapter.number


def write_html(
    book: Book, out_dir: Path, *, pdf_name: str | None = "exile-report.pdf"
) -> list[Path]:
    """Write the HTML book into ``out_dir`` and return the pages written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chapters = list(book.chapters)
    if not any(c.kind == "references" for c in chapters):
        chapters.append(references_chapter(book))
    pages = [Page(c, c.html_name, _number_label(c)) for c in chapters]
    id_pages = {ident: _page_of(key, chapters) for ident, key in book.targets.items()}
    output = run_pandoc(book_markdown(book, pages), _pandoc_args(book), "book", out_dir)
    bodies, notes = split_book(output)
    entries = bibliography_entries(bodies.get("references.html", ""))
    for page in pages:
        body = bodies[page.name]
        if page.chapter.kind != "references":
            body = body + page_references(body, entries)
        body += page_footnotes(body, notes)
        finish_page(page, body, id_pages)

    copy_files(book, out_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("page.html")
    toc = [
        {
            "name": p.name,
            "title": p.chapter.title,
            "label": p.chapter.number or "",
            "kind": p.chapter.kind,
        }
        for p in pages
    ]
    written = []
    for i, page in enumerate(pages):
        notebook = f"notebooks/{page.chapter.key}.ipynb" if page.chapter.notebook else None
        text = template.render(
            book=book,
            page=page,
            toc=toc,
            meta_tags=citation_meta(
                book,
                pdf_name,
                page.name,
                book.title if page.chapter.kind == "preface" else page.chapter.title,
            ),
            pdf_name=pdf_name,
            notebook=notebook,
            prev=pages[i - 1] if i > 0 else None,
            next=pages[i + 1] if i + 1 < len(pages) else None,
            sections=[
                h
                for h in page.headings
                if h["level"] == 2 and h["id"] and h["text"] != "References"
            ],
            licence=book.meta.get("licence", ""),
            csp=CSP,
            root="../" * page.name.count("/"),
        )
        path = out_dir / page.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_relocate(text, page.name), encoding="utf-8")
        written.append(path)
    index = [s for p in pages for s in p.sections]
    (out_dir / "search-index.js").write_text(
        "window.BOOK_SEARCH_INDEX = "
        + json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        + ";\n",
        encoding="utf-8",
    )
    return written


def finish_page(page: Page, body: str, id_pages: dict[str, str]) -> None:
    """Links, images and the numbered ``<h1>``; the outline for contents and search."""
    body = _rewrite_links(body, page.name, id_pages)
    body = _number_h1(_focusable_tables(_polish_images(body)), page.number_label)
    outline = _Outline()
    outline.feed(body)
    h1s = [h for h in outline.headings if h["level"] == 1]
    if len(h1s) != 1:
        raise RenderError(
            f"{page.chapter.source}: {len(h1s)} top-level headings; a page needs exactly one"
        )
    page.body, page.headings = body, outline.headings
    page.sections = [
        {
            "p": page.name,
            "id": s["id"] or "",
            "t": s["text"],
            "x": " ".join("".join(s["body"]).split())[:SEARCH_TEXT_LIMIT],
        }
        for s in outline.sections
    ]


def _page_of(key: str, chapters: list[Chapter]) -> str:
    for c in chapters:
        if c.key == key:
            return c.html_name
    return f"{key}.html"


def copy_files(book: Book, out_dir: Path) -> None:
    """Assets (CSS, JS), images and download files, and the executed notebooks."""
    assets = out_dir / "assets"
    assets.mkdir(exist_ok=True)
    for asset in sorted(ASSETS.iterdir()):
        shutil.copyfile(asset, assets / asset.name)
    for rel, src in sorted(book.resources.items()):
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if Path(src).resolve() != dest.resolve():
            shutil.copyfile(src, dest)
    for chapter in book.chapters:
        if chapter.notebook:
            dest = out_dir / "notebooks" / f"{chapter.key}.ipynb"
            dest.parent.mkdir(exist_ok=True)
            shutil.copyfile(chapter.notebook, dest)
