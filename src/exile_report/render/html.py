"""HTML writer: a :class:`Book` -> a multi-page, offline HTML book.

One page per chapter (``index.html`` for the preface) plus ``references.html``; every page has
the numbered contents in a sidebar, previous/next links, download links (PDF, executed
notebook), Google Scholar ``citation_*`` meta tags and an offline search box whose index is
``search-index.js`` (a script that sets a global, so it works from ``file://`` too).

Pandoc (with citeproc) turns each page's markdown into an HTML fragment; the pages are run in
parallel and then wrapped in one Jinja2 template. Nothing here reads the clock or writes an
absolute path, so the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pypandoc

from .model import Book, Chapter, RenderError

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"
SEARCH_TEXT_LIMIT = 4000  # characters of text per section kept in the search index


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
    return pypandoc.get_pandoc_path()


def _pandoc_args(book: Book) -> list[str]:
    args = [
        "-f",
        "markdown",
        "-t",
        "html5",
        "--wrap=none",
        "--section-divs",
        "--mathml",
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


def page_markdown(book: Book, chapter: Chapter) -> str:
    """The chapter's markdown plus a reference list of what it cites (Quarto's default)."""
    cited = book.meta.get("cited", {})
    if chapter.kind == "references":
        every = [k for keys in cited.values() for k in keys]
        unique = list(dict.fromkeys(every))
        nocite = ", ".join(f"@{k}" for k in unique)
        head = f"---\nnocite: |\n  {nocite}\n---\n\n" if unique else ""
        return head + chapter.markdown
    text = chapter.markdown
    if cited.get(chapter.key):
        text += "\n\n## References {.unnumbered .unlisted}\n\n::: {#refs}\n:::\n"
    return text


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


def citation_meta(book: Book, pdf_name: str | None) -> list[tuple[str, str]]:
    """Google Scholar ``<meta name="citation_*">`` tags, the same on every page.

    Filled from :class:`Book`; ``book.meta["site_url"]`` makes the PDF url absolute (Scholar
    wants that) and ``book.meta["citation"]`` (a dict) adds or overrides tags, e.g.
    ``{"citation_publisher": "…", "citation_doi": "…"}``.
    """
    tags: list[tuple[str, str]] = [("citation_title", book.title)]
    tags += [("citation_author", a) for a in book.authors]
    if book.date:
        tags.append(("citation_publication_date", book.date.replace("-", "/")))
    if book.version:
        tags.append(("citation_technical_report_number", book.version))
    tags.append(("citation_language", book.language))
    if book.keywords:
        tags.append(("citation_keywords", "; ".join(book.keywords)))
    if pdf_name:
        site = str(book.meta.get("site_url") or "").rstrip("/")
        tags.append(("citation_pdf_url", f"{site}/{pdf_name}" if site else pdf_name))
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
    book: Book, out_dir: Path, *, pdf_name: str | None = "exile-report.pdf", jobs: int | None = None
) -> list[Path]:
    """Write the HTML book into ``out_dir`` and return the pages written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chapters = list(book.chapters)
    if not any(c.kind == "references" for c in chapters):
        chapters.append(references_chapter(book))
    pages = [Page(c, c.html_name, _number_label(c)) for c in chapters]
    id_pages = {ident: _page_of(key, chapters) for ident, key in book.targets.items()}
    args = _pandoc_args(book)
    cwd = out_dir

    def convert(page: Page) -> None:
        body = run_pandoc(page_markdown(book, page.chapter), args, str(page.chapter.source), cwd)
        body = _rewrite_links(body, page.name, id_pages)
        body = _number_h1(_polish_images(body), page.number_label)
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

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        list(pool.map(convert, pages))

    copy_files(book, out_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("page.html")
    meta_tags = citation_meta(book, pdf_name)
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
            meta_tags=meta_tags,
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
        )
        path = out_dir / page.name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    index = [s for p in pages for s in p.sections]
    (out_dir / "search-index.js").write_text(
        "window.BOOK_SEARCH_INDEX = "
        + json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        + ";\n",
        encoding="utf-8",
    )
    return written


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
