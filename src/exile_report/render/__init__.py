"""Rendering the book: the one interface the build calls.

:func:`render_book` renders the executed chapters into an HTML book and a PDF with one of two
engines, chosen explicitly (:data:`~.quarto.DEFAULT_ENGINE` when none is): ``quarto``, the Quarto
CLI on the project (see :mod:`.quarto`), or ``builtin``: :mod:`.frontend` (chapters ->
:class:`~.model.Book`), :mod:`.html` (HTML book) and :mod:`.pdf` (typst PDF). Both read the same
``_quarto.yml`` and the same executed notebooks, so the book's sources never depend on which
engine ran.

Every problem raises :class:`RenderError` whose message names the file and the place.
"""

from __future__ import annotations

import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .frontend import check_builtin_options, load_book
from .model import Book, Chapter, RenderError
from .quarto import DEFAULT_ENGINE, ENGINES, render_with_quarto, resolve_engine

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "PDF_NAME",
    "Book",
    "Chapter",
    "RenderError",
    "render_book",
    "resolve_engine",
]

PDF_NAME = "exile-report.pdf"


def render_book(
    project_dir: Path,
    chapters: dict,
    out_dir: Path,
    *,
    meta: dict | None = None,
    engine: str | None = None,
    pdf: bool = True,
) -> dict:
    """Render the book in ``project_dir`` into ``out_dir`` (which must be empty or absent).

    ``chapters`` maps each chapter as listed in ``_quarto.yml`` to the file to render instead
    (the executed notebook); ``.qmd`` chapters may be left out. ``meta`` carries what the build
    knows and the sources do not: ``date`` (ISO, the edition's release date), ``version``
    (labelled ``variant …`` for a variant build), ``variant`` / ``variant_note`` (the banner),
    ``pdf_name``, ``site_url``, ``licence``, ``citation`` (extra Scholar tags), ``parameters``.
    ``engine`` is ``"builtin"`` or ``"quarto"`` (``None``: :data:`DEFAULT_ENGINE`).

    Returns ``{"engine", "pages", "pdf", "seconds"}``; ``seconds`` holds wall-clock times of the
    steps and ``cpu``, the CPU seconds they used (with the pandoc runs).
    """
    project_dir, out_dir = Path(project_dir), Path(out_dir)
    engine = resolve_engine(engine)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise RenderError(f"{out_dir}: output folder is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    if engine == "quarto":
        return render_with_quarto(project_dir, chapters, out_dir, meta=meta)
    return render_with_pandoc(project_dir, chapters, out_dir, meta=meta, pdf=pdf)


def render_with_pandoc(
    project_dir: Path, chapters: dict, out_dir: Path, *, meta: dict | None = None, pdf: bool = True
) -> dict:
    """The built-in engine: front end, then the HTML and PDF writers side by side."""
    from .html import write_html

    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    timings: dict[str, float] = {}
    write_pdf = None
    if pdf:
        try:
            from .pdf import write_pdf
        except ImportError as exc:  # the book promises a PDF: no PDF, no book
            raise RenderError(
                f"the PDF cannot be made: typst does not import ({exc}); "
                "reinstall the environment with `make venv`"
            ) from None
    with tempfile.TemporaryDirectory(prefix="exile-render-") as tmp:
        work = Path(tmp)
        book = load_book(project_dir, chapters, work / "media", meta=meta)
        # options the built-in engine cannot honour fail here, before anything is written
        check_builtin_options(book.meta["config"])
        if write_pdf:
            from .pdf import typst_format_options

            typst_format_options(book)
        timings["frontend"] = time.perf_counter() - started

        def html_job():
            t0 = time.perf_counter()
            pdf_name = (meta or {}).get("pdf_name") or PDF_NAME
            pages = write_html(book, out_dir, pdf_name=pdf_name if write_pdf else None)
            timings["html"] = time.perf_counter() - t0
            return pages

        def pdf_job():
            t0 = time.perf_counter()
            out_pdf = out_dir / ((meta or {}).get("pdf_name") or PDF_NAME)
            (work / "pdf").mkdir()
            write_pdf(book, out_pdf, work / "pdf")
            timings["pdf"] = time.perf_counter() - t0
            return out_pdf

        with ThreadPoolExecutor(max_workers=2) as pool:
            html_future = pool.submit(html_job)
            pdf_future = pool.submit(pdf_job) if write_pdf else None
            pages = html_future.result()
            pdf_path = pdf_future.result() if pdf_future else None
    timings["total"] = time.perf_counter() - started
    # CPU time of this process and its pandoc children: a measure of cost that, unlike the
    # wall clock, does not grow when other work shares the machine.
    timings["cpu"] = _cpu_seconds() - cpu_started
    return {"engine": "builtin", "pages": pages, "pdf": pdf_path, "seconds": timings}


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
