"""The book PDF: the whole book's markdown -> one pandoc call (typst + citeproc) -> typst -> PDF.

Why this shape: a single pandoc process for all chapters keeps the render fast and lets citeproc
see every citation at once for the one bibliography at the end; typst (the python package, fonts
built in) lays the book out without a TeX installation and embeds only the fonts it ships, so the
PDF is identical on every machine. ``crossref.lua``, first in the same pandoc run, numbers figures,
tables, sections and chapters (see :mod:`exile_report.render.model`); ``typst/book.lua`` carries
those numbers into typst verbatim and ``typst/book.typ`` is the house style (tables sized from
their content, floats that never leave half-empty pages). Tables are written by
``typst/tables.lua``, which Quarto's typst filter (``tools/quarto/typst-book.lua``) shares, so that
both engines set them alike. ``format: typst:`` options of ``_quarto.yml`` (paper size, font
size) are passed to it; an option it cannot honour is refused with a message.

``tests/pdf_layout.py`` reads any PDF back with pdfium and reports overprinted, merged or
overflowing words; the test suite runs it on the built book.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import typst

from exile_report.provenance import pandoc_path
from exile_report.render.model import CROSSREF_FILTER, Book, Chapter, RenderError
from exile_report.render.quarto import relative_links_rule

TEMPLATE_DIR = Path(__file__).with_name("typst")
STYLE = TEMPLATE_DIR / "book.typ"
FILTER = TEMPLATE_DIR / "book.lua"
CHAPTER_MARK = "// exile-chapter: "
REFERENCES_MARKDOWN = "# References {.unnumbered}\n\n::: {#refs}\n:::\n"


def write_pdf(book: Book, out_pdf: Path, workdir: Path, *, source_dir: Path | None = None) -> None:
    """Write the book as one PDF at ``out_pdf``.

    Relative image paths are looked up in ``book.resources`` and otherwise taken relative to
    ``workdir``. The intermediate typst files go to a temporary folder, or to ``source_dir`` when
    given (to inspect them); nothing is written into ``workdir``. Raises :class:`RenderError`
    naming the chapter when pandoc or typst fails; ``out_pdf`` is then left untouched.
    """
    workdir = Path(workdir).resolve()
    out_pdf = Path(out_pdf)
    if source_dir is None:
        with tempfile.TemporaryDirectory(prefix="exile-pdf-") as tmp:
            pdf = _build(book, workdir, Path(tmp))
    else:
        source_dir.mkdir(parents=True, exist_ok=True)
        pdf = _build(book, workdir, Path(source_dir).resolve())
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    out_pdf.write_bytes(pdf)


#: Folder inside the typst build folder holding a copy of every file the book shows.
STAGED_FILES = "files"


def _build(book: Book, workdir: Path, build: Path) -> bytes:
    """pandoc then typst in ``build``; the PDF's bytes.

    typst compiles with ``build`` as its root, so it can read nothing but the style and the copies
    of the book's own files staged there (no path in the text can reach any other file)."""
    shutil.copyfile(STYLE, build / STYLE.name)
    _stage_images(book, workdir, build)
    config = build / "config.json"
    config.write_text(json.dumps(_filter_config(book, workdir), indent=1, sort_keys=True))
    body = _pandoc_to_typst(book, config)
    main = build / "book-main.typ"
    main.write_text(_main_source(book, body), encoding="utf-8")
    return _compile(main, book)


_IMAGE_TARGET = re.compile(
    r"\]\(<?([^()<>\s]+\.(?:png|svg|jpe?g|gif|webp))>?(?:\s+\"[^\"]*\")?\)", re.IGNORECASE
)


def _stage_images(book: Book, workdir: Path, build: Path) -> None:
    """Copy the files the book shows into ``build``, where typst (rooted there) finds them.

    ``book.resources`` and images relative to ``workdir`` go under ``files/`` (book.lua maps them
    there); an image given by absolute path goes to the same path below ``build``. Only image
    links of the book's Markdown are staged; a missing one is left for typst to report."""
    staged = build / STAGED_FILES
    for rel, src in sorted(book.resources.items()):
        _copy_inside(Path(src), staged / rel, staged)
    for chapter in book.chapters:
        for target in _IMAGE_TARGET.findall(chapter.markdown):
            if target in book.resources or re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            if target.startswith("/"):
                _copy_inside(Path(target), build / target.lstrip("/"), build)
            else:
                _copy_inside(workdir / target, staged / target, staged)


def _copy_inside(src: Path, dest: Path, folder: Path) -> None:
    """Copy ``src`` to ``dest`` when it is a file and ``dest`` stays inside ``folder``."""
    if src.is_file() and dest.resolve().is_relative_to(folder.resolve()):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


def book_markdown(book: Book) -> str:
    """All chapters in order, each behind a raw typst marker naming it (for book.lua and for
    mapping a typst error back to its chapter); a References chapter is added if missing."""
    chapters = list(book.chapters)
    if book.bibliography and not any("{#refs" in c.markdown for c in chapters):
        chapters.append(
            Chapter(
                key="references",
                kind="references",
                number=None,
                title="References",
                sec_id=None,
                markdown=REFERENCES_MARKDOWN,
                source=Path("references"),
            )
        )
    parts = []
    for chapter in chapters:
        # floats still waiting (a figure referenced at the end of a chapter) are set before the
        # chapter ends, never after the next chapter's opener
        flush = "#place.flush()\n" if parts else ""
        marker = (
            f'{CHAPTER_MARK}{chapter.key}\n{flush}#metadata("{chapter.key}") <exile-chapter-end>'
        )
        parts.append(f"```{{=typst}}\n{marker}\n```\n\n{chapter.markdown.strip()}\n")
    return "\n".join(parts)


def _filter_config(book: Book, workdir: Path) -> dict:
    """What book.lua needs: where files are (paths inside the typst root, where :func:`_build`
    staged them), and each chapter's kind and number."""
    return {
        "workdir": f"/{STAGED_FILES}",
        "resources": {key: f"/{STAGED_FILES}/{key}" for key in book.resources},
        "chapters": {c.key: {"kind": c.kind, "number": c.number or ""} for c in book.chapters},
    }


def _pandoc_to_typst(book: Book, config: Path) -> str:
    """One pandoc run for the whole book: markdown -> citeproc -> book.lua -> typst markup."""
    args = [
        pandoc_path(),
        "--from=markdown",
        "--to=typst",
        "--wrap=preserve",
        "--metadata=link-citations:true",
        f"--metadata=lang:{book.language}",
        f"--lua-filter={CROSSREF_FILTER}",
    ]
    if book.bibliography:
        args.append("--citeproc")
        args += [f"--bibliography={Path(b).resolve()}" for b in book.bibliography]
        if book.csl:
            args.append(f"--csl={Path(book.csl).resolve()}")
    args.append(f"--lua-filter={FILTER}")
    env = {**os.environ, "EXILE_PDF_CONFIG": str(config)}
    run = subprocess.run(
        args, input=book_markdown(book), capture_output=True, text=True, env=env, check=False
    )
    problems = [line for line in run.stderr.splitlines() if line.strip()]
    if run.returncode != 0 or problems:
        raise RenderError("pandoc (markdown -> typst) failed for the book PDF:\n" + run.stderr)
    return run.stdout


def _typst_str(value: object) -> str:
    """A typst string literal."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _colophon_value(value: object) -> str:
    """A colophon value as text: mappings and lists one item a line."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_colophon_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(_colophon_value(v) for v in value)
    return str(value)


def _colophon(book: Book) -> list[tuple[str, str]]:
    """``book.meta["colophon"]`` (a mapping or a list of pairs) as (item, value) rows."""
    entries = book.meta.get("colophon") or {}
    pairs = entries.items() if isinstance(entries, dict) else entries
    return [(str(k), _colophon_value(v)) for k, v in pairs]


def _typst_date(iso: str) -> str:
    try:
        day = dt.date.fromisoformat(iso[:10])
    except ValueError as err:
        raise RenderError(f"book date {iso!r} is not an ISO date (YYYY-MM-DD)") from err
    return f"datetime(year: {day.year}, month: {day.month}, day: {day.day})"


def _main_source(book: Book, body: str) -> str:
    """The typst main file: import the style, pass the book's metadata, then the body."""
    rows = ", ".join(f"({_typst_str(k)}, {_typst_str(v)})" for k, v in _colophon(book))
    subject = book.meta.get("subject") or book.subtitle
    arguments = [
        f"title: {_typst_str(book.title)}",
        f"subtitle: {_typst_str(book.subtitle)}",
        f"authors: ({''.join(_typst_str(a) + ', ' for a in book.authors)})",
        f"date: {_typst_date(book.date)}",
        f"version: {_typst_str(book.version)}",
        f"keywords: ({''.join(_typst_str(k) + ', ' for k in book.keywords)})",
        f"subject: {_typst_str(subject)}",
        f"lang: {_typst_str(book.language)}",
        f"colophon: ({rows}{',' if rows else ''})",
        *(f"{name}: {value}" for name, value in typst_format_options(book).items()),
    ]
    header = (
        f'#import "{STYLE.name}": book, book-figure, book-table, callout, fit-image, source-line\n'
        "#show: book.with(\n  "
        + ",\n  ".join(arguments)
        + ",\n)\n"
        # links to files beside the PDF: absolute with a site address, else plain text
        + relative_links_rule(str(book.meta.get("site_url") or ""))
        + "\n"
    )
    return header + body


#: ``format: typst:`` options of ``_quarto.yml`` the built-in engine honours, each with the
#: ``book.typ`` argument it sets and how its value must look; anything else there is refused.
TYPST_OPTIONS = {
    "papersize": ("paper", re.compile(r"[a-z0-9][a-z0-9-]*")),
    "fontsize": ("font-size", re.compile(r"\d+(\.\d+)?pt")),
}
#: options read elsewhere (the book's metadata), allowed without being arguments of book.typ
#: (include-before-body / include-in-header carry, for Quarto, the colophon and document metadata
#: that the built-in engine writes itself from the same build; filters give Quarto's typst the
#: table and float layout that book.lua and book.typ give the built-in PDF)
TYPST_METADATA_OPTIONS = ("keywords", "include-before-body", "include-in-header", "filters")
#: options that describe what the built-in PDF always does: allowed with that value only
TYPST_FIXED_OPTIONS = {"toc": True, "number-sections": True, "citeproc": True}
#: Quarto's paper names that typst spells differently
PAPER_ALIASES = {"letter": "us-letter", "legal": "us-legal", "executive": "us-executive"}


def typst_format_options(book: Book) -> dict[str, str]:
    """``format: typst:`` options from ``_quarto.yml`` as book.typ arguments (typst source).

    An option the built-in engine cannot honour, or a value it cannot read, raises
    :class:`RenderError` naming it, rather than being silently ignored.
    """
    formats = (book.meta.get("config") or {}).get("format") or {}
    options = formats.get("typst") if isinstance(formats, dict) else None
    if not isinstance(options, dict):
        return {}
    arguments = {}
    for key, value in options.items():
        if key in TYPST_METADATA_OPTIONS:
            continue
        if key in TYPST_FIXED_OPTIONS:
            if value != TYPST_FIXED_OPTIONS[key]:
                raise RenderError(
                    f"_quarto.yml: format: typst: {key}: {value!r} is not supported by the"
                    f" built-in PDF engine (it always uses {TYPST_FIXED_OPTIONS[key]!r})"
                )
            continue
        if key not in TYPST_OPTIONS:
            known = ", ".join(
                sorted([*TYPST_OPTIONS, *TYPST_METADATA_OPTIONS, *TYPST_FIXED_OPTIONS])
            )
            raise RenderError(
                f"_quarto.yml: format: typst: {key} is not supported by the built-in PDF engine"
                f" (supported: {known}); remove it or render with Quarto"
            )
        name, pattern = TYPST_OPTIONS[key]
        text = str(value).strip().lower()
        text = PAPER_ALIASES.get(text, text) if key == "papersize" else text
        if not pattern.fullmatch(text):
            raise RenderError(f"_quarto.yml: format: typst: {key}: {value!r} is not a valid value")
        arguments[name] = _typst_str(text) if key == "papersize" else text
    return arguments


def _compile(main: Path, book: Book) -> bytes:
    """typst -> PDF bytes with only typst's bundled fonts (the same PDF on every machine)."""
    try:
        pdf, warnings = typst.compile_with_warnings(
            str(main), root=str(main.parent), ignore_system_fonts=True, format="pdf", pdf_tags=True
        )
    except typst.TypstError as err:
        raise RenderError(_describe_typst_error(err, main, book)) from err
    font_problems = [w for w in warnings if "font" in str(getattr(w, "message", w))]
    if font_problems:
        raise RenderError("typst font problem: " + "; ".join(map(str, font_problems)))
    return pdf


def _describe_typst_error(err: Exception, main: Path, book: Book) -> str:
    """The typst diagnostic plus the chapter (and its source file) the failing line came from.

    The line is the diagnostic's own when it points into the main file; when it points into the
    style (an image loaded by ``fit-image``), the line of the main file naming the missing file.
    """
    diagnostic = getattr(err, "diagnostic", "") or str(err)
    message = getattr(err, "message", "") or str(err)
    lines = main.read_text(encoding="utf-8").splitlines()
    line_no = None
    match = re.search(re.escape(main.name) + r":(\d+):", diagnostic)
    missing = re.search(r"searched at (.+?)\)", message)
    if match:
        line_no = int(match.group(1))
    elif missing:
        # typst reports the path on disk; the main file names it from the root (the build folder)
        searched = missing.group(1)
        root = main.parent.as_posix()
        if searched.startswith(root + "/"):
            searched = searched[len(root) :]
        line_no = next((i + 1 for i, ln in enumerate(lines) if searched in ln), None)
    where = ""
    if line_no:
        keys = [
            ln[len(CHAPTER_MARK) :].strip() for ln in lines[:line_no] if ln.startswith(CHAPTER_MARK)
        ]
        if keys:
            chapter = next((c for c in book.chapters if c.key == keys[-1]), None)
            source = f" ({chapter.source})" if chapter else ""
            where = f" in chapter {keys[-1]}{source}"
    return f"typst failed to build the book PDF{where}: {message}\n{diagnostic}"
