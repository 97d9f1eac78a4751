"""Rendering the book: the one interface the build calls.

:func:`render_book` renders the executed chapters into an HTML book and a PDF. When a ``quarto``
executable is on PATH it uses Quarto itself (with execution disabled); otherwise the built-in
engine: :mod:`.frontend` (chapters -> :class:`~.model.Book`), :mod:`.html` (HTML book) and
``render.pdf.write_pdf`` (typst PDF, written separately). Both engines read the same
``_quarto.yml``, so the book's sources never depend on which engine ran.

Every problem raises :class:`RenderError` whose message names the file and the place.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .frontend import load_book, read_config
from .model import Book, Chapter, RenderError

__all__ = ["PDF_NAME", "Book", "Chapter", "RenderError", "render_book"]

PDF_NAME = "exile-report.pdf"


def _pdf_writer():
    """``render.pdf.write_pdf`` if that module exists (it is written separately)."""
    try:
        from .pdf import write_pdf
    except ImportError:
        return None
    return write_pdf


def render_book(
    project_dir: Path,
    chapters: dict,
    out_dir: Path,
    *,
    meta: dict | None = None,
    engine: str = "auto",
    pdf: bool = True,
) -> dict:
    """Render the book in ``project_dir`` into ``out_dir`` (which must be empty or absent).

    ``chapters`` maps each chapter as listed in ``_quarto.yml`` to the file to render instead
    (the executed notebook); ``.qmd`` chapters may be left out. ``meta`` carries what the build
    knows and the sources do not: ``date`` (ISO, from the source commit, never the clock),
    ``version``, ``site_url``, ``licence``, ``citation`` (extra Scholar tags), ``parameters``.
    ``engine`` is ``"auto"`` (Quarto when on PATH), ``"quarto"`` or ``"pandoc"``.

    Returns ``{"engine", "pages", "pdf", "seconds"}``; ``seconds`` holds wall-clock times of the
    steps and ``cpu``, the CPU seconds they used (with the pandoc runs).
    """
    project_dir, out_dir = Path(project_dir), Path(out_dir)
    quarto = shutil.which("quarto")
    if engine == "quarto" and not quarto:
        raise RenderError("quarto: not found on PATH")
    if engine not in ("auto", "quarto", "pandoc"):
        raise RenderError(f"engine must be auto, quarto or pandoc, not {engine!r}")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise RenderError(f"{out_dir}: output folder is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    if quarto and engine in ("auto", "quarto"):
        return render_with_quarto(quarto, project_dir, chapters, out_dir, meta=meta)
    return render_with_pandoc(project_dir, chapters, out_dir, meta=meta, pdf=pdf)


def render_with_pandoc(
    project_dir: Path, chapters: dict, out_dir: Path, *, meta: dict | None = None, pdf: bool = True
) -> dict:
    """The built-in engine: front end, then the HTML and PDF writers side by side."""
    from .html import write_html

    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    timings: dict[str, float] = {}
    write_pdf = _pdf_writer() if pdf else None
    with tempfile.TemporaryDirectory(prefix="exile-render-") as tmp:
        work = Path(tmp)
        book = load_book(project_dir, chapters, work / "media", meta=meta)
        timings["frontend"] = time.perf_counter() - started

        def html_job():
            t0 = time.perf_counter()
            pages = write_html(book, out_dir, pdf_name=PDF_NAME if write_pdf else None)
            timings["html"] = time.perf_counter() - t0
            return pages

        def pdf_job():
            t0 = time.perf_counter()
            out_pdf = out_dir / PDF_NAME
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
    return {"engine": "pandoc", "pages": pages, "pdf": pdf_path, "seconds": timings}


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# --------------------------------------------------------------------------- Quarto


def _stage_project(project_dir: Path, chapters: dict, stage: Path) -> None:
    """Copy the project's book sources to ``stage`` with the executed notebooks in place."""
    # Outputs, caches and the package's own code and tests (which hold other Quarto projects,
    # such as tests/conformance) stay behind; Quarto needs only the book's sources.
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        "_build",
        "_book*",
        "__pycache__",
        ".quarto",
        "*.egg-info",
        ".pytest_cache",
        ".ruff_cache",
        "tests",
        "src",
        "tools",
        "raw",
    )
    shutil.copytree(project_dir, stage, ignore=ignore, symlinks=True)
    for src, executed in (chapters or {}).items():
        src = Path(src)
        rel = src.relative_to(project_dir) if src.is_absolute() else src
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, target)


def render_with_quarto(
    quarto: str, project_dir: Path, chapters: dict, out_dir: Path, *, meta: dict | None = None
) -> dict:
    """Render with the Quarto CLI, never letting it execute code.

    The notebooks were executed by the build; ``--no-execute`` makes Quarto use their stored
    outputs (Quarto's documented flag, ``quarto render --help``). The book is staged in a
    temporary folder so Quarto's ``_book`` and ``.quarto`` never land in the project.
    """
    started = time.perf_counter()
    project_dir = Path(project_dir).resolve()
    config = read_config(project_dir)
    # The built-in front end checks the same sources first (alt text, labels, warnings in
    # outputs, cross-references, citations): a book that fails here fails with either engine.
    with tempfile.TemporaryDirectory(prefix="exile-render-") as tmp:
        load_book(project_dir, chapters, Path(tmp) / "media", meta=meta)
        stage = Path(tmp) / "project"
        _stage_project(project_dir, chapters, stage)
        args = [quarto, "render", str(stage), "--to", "all", "--no-execute"]
        for key in ("date", "version"):
            if meta and meta.get(key):
                args += ["-M", f"{key}:{meta[key]}"]
        env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", "")}
        if not env["QUARTO_PYTHON"]:
            env.pop("QUARTO_PYTHON")
        proc = subprocess.run(args, cwd=stage, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
            raise RenderError(
                f"{project_dir / '_quarto.yml'}: quarto render failed "
                f"(exit {proc.returncode}):\n{tail}"
            )
        output = stage / ((config.get("project") or {}).get("output-dir") or "_book")
        if not output.is_dir():
            raise RenderError(f"quarto render wrote no {output.name}/ folder")
        for item in sorted(output.iterdir()):
            shutil.move(str(item), out_dir / item.name)
    pdfs = sorted(out_dir.glob("*.pdf"))
    return {
        "engine": "quarto",
        "pages": sorted(out_dir.glob("*.html")),
        "pdf": pdfs[0] if pdfs else None,
        "seconds": {"total": time.perf_counter() - started},
    }
