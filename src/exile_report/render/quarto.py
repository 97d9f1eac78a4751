"""The Quarto engine: which engine renders, and how the Quarto CLI is run on the executed chapters.

The book is a Quarto project. Papermill executes each chapter notebook once, into
``_build/executed/`` (see :mod:`exile_report.execute`); Quarto never executes anything
(``execute: enabled: false`` in ``_quarto.yml``). Quarto reads the executed notebooks through the
project's ``ipynb-filters`` entry, :data:`FILTER` (``tools/quarto/executed-notebook.py``): given
a chapter's committed notebook, it prints the executed one. So Quarto renders the same pages from
the same files, at the same addresses, whether the build calls it or a user types
``quarto render`` or ``quarto preview`` in a fresh clone; for the latter, the project's
``pre-render`` script (``tools/quarto/pre-render.py`` -> :func:`prepare`) executes what changed
first, and its ``post-render`` script (:func:`finish`) adds the data bundle.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .model import RenderError

ENGINES = ("builtin", "quarto")
#: The engine a build uses when none is chosen: always available and five times faster. The
#: choice never depends on what happens to be on PATH (``--engine`` / ``ENGINE=`` choose).
DEFAULT_ENGINE = "builtin"
#: Set by the build when it runs Quarto: the notebooks are executed already, so the project's
#: pre-render script has nothing to do.
EXECUTED_ENV = "EXILE_REPORT_EXECUTED"
FILTER = Path("tools/quarto/executed-notebook.py")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INSTALL_HINT = (
    "install Quarto 1.11 (pip install quarto-cli, or ../shared/tools/quarto/install.sh DIR and "
    "put DIR on PATH) or choose --engine builtin"
)


def resolve_engine(engine: str | None) -> str:
    """``engine`` checked (``None`` -> :data:`DEFAULT_ENGINE`; ``pandoc`` is the built-in one)."""
    engine = engine or os.environ.get("EXILE_ENGINE") or DEFAULT_ENGINE
    if engine == "pandoc":
        engine = "builtin"
    if engine not in ENGINES:
        raise RenderError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


def quarto_executable() -> str:
    quarto = shutil.which("quarto")
    if not quarto:
        raise RenderError(f"quarto: not found on PATH; {INSTALL_HINT}")
    return quarto


def plain(text: str) -> str:
    """Quarto's output without terminal colour codes."""
    return ANSI_RE.sub("", text)


def touch_filter(project_dir: Path) -> None:
    """Quarto caches a filtered notebook until the notebook or the filter script changes; the
    executed notebook it prints changes with every execution, so the filter's time moves on."""
    path = Path(project_dir) / FILTER
    if path.is_file():
        os.utime(path)


def render_with_quarto(
    project_dir: Path, chapters: dict, out_dir: Path, *, meta: dict | None = None
) -> dict:
    """``quarto render`` of the project into ``out_dir``, from the executed notebooks.

    ``chapters`` maps each chapter notebook to its executed copy; they must be where the project's
    notebook filter looks (``_build/executed/<name>``), which is where the build writes them.
    """
    from .frontend import load_book, read_config

    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    project_dir, out_dir = Path(project_dir).resolve(), Path(out_dir).resolve()
    quarto = quarto_executable()
    for src, executed in (chapters or {}).items():
        expected = project_dir / "_build" / "executed" / Path(src).name
        if Path(executed).resolve() != expected:
            raise RenderError(
                f"{src}: Quarto reads executed notebooks from {expected}, not {executed}"
            )
    # The built-in front end checks the same sources first (alt text, labels, warnings in
    # outputs, cross-references, citations): a book that fails there fails with either engine.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="exile-render-") as tmp:
        load_book(project_dir, chapters, Path(tmp) / "media", meta=meta)
    write_colophon(project_dir, (meta or {}).get("colophon") or {})
    write_document_meta(project_dir, (meta or {}).get("date"), (meta or {}).get("site_url", ""))
    touch_filter(project_dir)
    args = [quarto, "render", "--to", "all", "--output-dir", str(out_dir)]
    for key in ("date", "version"):
        if meta and meta.get(key):
            args += ["-M", f"{key}:{meta[key]}"]
    if meta and meta.get("variant"):
        # Quarto's title page and title block: the subtitle says it is a variant
        subtitle = (read_config(project_dir).get("book") or {}).get("subtitle") or ""
        args += ["-M", f"subtitle:{subtitle} ({meta['variant']})".lstrip()]
    env = {**os.environ, EXECUTED_ENV: "1", "NO_COLOR": "1"}
    proc = subprocess.run(
        args, cwd=project_dir, capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        output = plain((proc.stderr or "") + (proc.stdout or "")).strip()
        raise RenderError(
            f"{project_dir / '_quarto.yml'}: quarto render failed (exit {proc.returncode}):\n"
            f"{output}"
        )
    mark_pages(out_dir, meta or {})
    pdfs = sorted(out_dir.glob("*.pdf"))
    seconds = {"total": time.perf_counter() - started, "cpu": _cpu_seconds() - cpu_started}
    return {
        "engine": "quarto",
        "pages": sorted(out_dir.rglob("*.html")),
        "pdf": pdfs[0] if pdfs else None,
        "seconds": seconds,
    }


_PDF_META_RE = re.compile(r'(<meta name="citation_pdf_url" content=")[^"]*(")')
_TITLE_META_RE = re.compile(r'(<meta name="citation_title" content=")([^"]*)(")')
#: Quarto 1.11 writes a numbered chapter's citation_title as the heading's Markdown source,
#: ``[[1]{.chapter-number}  [Title]{.chapter-title}]{#sec-x …}``; the title is its middle.
_QUARTO_CHAPTER_TITLE_RE = re.compile(r"\[([^\[\]]*)\]\{\.chapter-title\}")
_APPENDIX_PREFIX_RE = re.compile(r"^Appendix [A-Z]+ [—–-] ")
_BODY_RE = re.compile(r"(<body\b[^>]*>)")
QUARTO_PDF = "exile-report.pdf"  # book: output-file: in _quarto.yml


def mark_pages(out_dir: Path, meta: dict) -> None:
    """What the build adds to Quarto's pages, as the built-in engine writes it: the PDF's name
    for a variant (``meta["pdf_name"]``), ``citation_pdf_url`` absolute (``meta["site_url"]``)
    or relative to each page, and the variant banner on every page (``meta["variant"]``)."""
    import html as htmllib

    out_dir = Path(out_dir)
    pdf_name = meta.get("pdf_name") or QUARTO_PDF
    if pdf_name != QUARTO_PDF and (out_dir / QUARTO_PDF).is_file():
        os.replace(out_dir / QUARTO_PDF, out_dir / pdf_name)
    site = str(meta.get("site_url") or "").rstrip("/")
    banner = ""
    if meta.get("variant"):
        banner = (
            '<div class="variant-banner" role="note"><strong>Variant build.</strong> '
            + htmllib.escape(meta.get("variant_note") or "")
            + "</div>"
        )
    for page in sorted(out_dir.rglob("*.html")):
        if "site_libs" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        rel = page.relative_to(out_dir).as_posix()
        if pdf_name != QUARTO_PDF:
            text = text.replace(f'{QUARTO_PDF}"', f'{pdf_name}"')
        pdf_url = f"{site}/{pdf_name}" if site else "../" * rel.count("/") + pdf_name
        text = _PDF_META_RE.sub(
            lambda m, url=pdf_url: m.group(1) + htmllib.escape(url) + m.group(2), text
        )
        text = _TITLE_META_RE.sub(_chapter_title, text)
        if banner and 'class="variant-banner"' not in text:
            text = _BODY_RE.sub(lambda m: m.group(1) + banner, text, count=1)
        page.write_text(text, encoding="utf-8")


def _chapter_title(match: re.Match) -> str:
    """A ``citation_title`` tag with Quarto's Markdown source of a chapter heading
    (``[[1]{.chapter-number}  [Title]{.chapter-title}]{#sec-x …}``, or for an appendix
    ``[Appendix A — Title]{#sec-x …}``) reduced to the chapter's title, as the built-in engine
    writes it."""
    import html as htmllib

    text = htmllib.unescape(match.group(2))
    whole = re.fullmatch(r"\[(.*)\]\{[^{}]*\}", text, re.DOTALL)
    if not whole:
        return match.group(0)
    text = whole.group(1)
    found = _QUARTO_CHAPTER_TITLE_RE.search(text)
    if found:
        text = found.group(1)
    text = _APPENDIX_PREFIX_RE.sub("", " ".join(text.split()))
    return match.group(1) + htmllib.escape(text) + match.group(3)


def _cpu_seconds() -> float:
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# --------------------------------------------------------------------------- project scripts

COLOPHON = Path("_build/quarto/colophon.typ")  # _quarto.yml: format: typst: include-before-body
DOCUMENT = Path("_build/quarto/document.typ")  # _quarto.yml: format: typst: include-in-header
PAGE_META = Path("_build/quarto/book-meta.json")  # pre-render -> post-render: what mark_pages adds


def _typst_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_colophon(root: Path, colophon: dict) -> Path:
    """The PDF's colophon page for Quarto's typst output, the same rows as the built-in PDF's."""
    rows = "".join(f"  {_typst_string(k)}, {_typst_string(v)},\n" for k, v in colophon.items())
    text = (
        "// Written by the build (exile_report.render.quarto); do not edit.\n"
        "#page(numbering: none, header: none, footer: none)[\n"
        "#v(1fr)\n#set text(size: 8.5pt)\n#set par(justify: false)\n"
        '#block(below: 0.8em, text(weight: "bold")[Colophon])\n'
        "#table(columns: (auto, 1fr), stroke: (x, y) => (bottom: 0.4pt + luma(180)),\n"
        "  table.header([*Item*], [*Value*]),\n" + rows + ")\n]\n"
    )
    return _write(Path(root) / COLOPHON, text)


def relative_links_rule(site_url: str = "") -> str:
    """A typst show rule for the PDF's links to files beside it (``../exile-report-data.zip``):
    they point at the site when it has an address, and are plain text otherwise, so the PDF
    never holds a link that breaks when it travels alone."""
    site = _typst_string(str(site_url or "").rstrip("/"))
    return (
        '#show link: it => if type(it.dest) == str and not it.dest.contains(":") '
        'and not it.dest.starts-with("#") {\n'
        '  let rel = it.dest.split("/").filter(p => p != ".." and p != ".").join("/")\n'
        f'  if {site} != "" {{ link({site} + "/" + rel, it.body) }} else {{ it.body }}\n'
        "} else { it }\n"
    )


def write_document_meta(root: Path, date: str | None, site_url: str = "") -> Path:
    """What Quarto's typst book leaves out and the built-in PDF has: document metadata (keywords
    and subject from ``_quarto.yml``, the edition's date instead of the clock), long tables
    that break across pages and links to files beside the PDF that do not break
    (:func:`relative_links_rule`)."""
    from .frontend import read_config

    config = read_config(Path(root))
    book = config.get("book") or {}
    keywords = [str(k) for k in config.get("keywords") or book.get("keywords") or []]
    fields = [f"keywords: ({''.join(_typst_string(k) + ', ' for k in keywords)})"]
    if book.get("subtitle"):
        fields.append(f"description: {_typst_string(book['subtitle'])}")
    if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        y, m, d = (int(x) for x in date.split("-"))
        fields.append(f"date: datetime(year: {y}, month: {m}, day: {d})")
    text = (
        "// Written by the build (exile_report.render.quarto); do not edit.\n"
        f"#set document({', '.join(fields)})\n"
        "// A captioned table is a figure in Quarto's typst, and figures do not break across\n"
        "// pages: long tables would run off the page. They break, their header repeated.\n"
        '#show figure.where(kind: "quarto-float-tbl"): set block(breakable: true)\n'
        + relative_links_rule(site_url)
    )
    return _write(Path(root) / DOCUMENT, text)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def prepare(root: Path, log=print) -> None:
    """Quarto's ``pre-render``: execute what changed (papermill, once) and write the variables.

    Nothing to do when the build itself runs Quarto (it executed the notebooks already).
    """
    if os.environ.get(EXECUTED_ENV):
        return
    from ..build import build
    from ..params import resolve_params
    from ..provenance import of, variant
    from ..publish import book_meta, write_variables

    build(root, render=False, log=log)
    params = resolve_params(root / "params.yml", [], None)
    prov = of(root)
    var = variant(params, params, prov.dirty)
    write_variables(root, params, prov.date, prov.commit, variant=var)
    meta = book_meta(params, prov, var, root)
    write_colophon(root, meta["colophon"])
    write_document_meta(root, meta["date"], meta["site_url"])
    _write(Path(root) / PAGE_META, json.dumps(meta, default=str, sort_keys=True))
    touch_filter(root)


def finish(root: Path, out_dir: Path) -> None:
    """Quarto's ``post-render``: the data bundle beside the pages (the build adds it itself)."""
    if os.environ.get(EXECUTED_ENV) or not out_dir.is_dir():
        return
    from ..publish import write_data_bundle

    meta_file = Path(root) / PAGE_META
    if meta_file.is_file():
        mark_pages(out_dir, json.loads(meta_file.read_text(encoding="utf-8")))
    write_data_bundle(root, out_dir)


def main(argv: list[str]) -> int:
    """``pre-render`` / ``post-render``: Quarto's project scripts (tools/quarto/project-script.py)."""
    from ..build import BuildError
    from ..execute import ExecutionError
    from ..params import ParamError
    from ..paths import ROOT

    try:
        if argv == ["pre-render"]:
            prepare(ROOT, log=lambda msg: print(msg, file=sys.stderr))
        elif argv == ["post-render"]:
            out = os.environ.get("QUARTO_PROJECT_OUTPUT_DIR") or "_book"
            finish(ROOT, ROOT / out)
        else:
            print("usage: project-script.py pre-render|post-render", file=sys.stderr)
            return 2
    except (BuildError, ExecutionError, ParamError, RenderError, OSError) as exc:
        # one line for the user, as everywhere in the build
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
