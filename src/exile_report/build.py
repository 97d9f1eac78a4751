"""One build of the book: parameters, data checks, execution, rendering, atomic publication.

The output is assembled in a staging folder and swapped into ``_book/`` only when every step
succeeded, so a failed or interrupted build never leaves a broken or half-new report; leftovers
of an interrupted build are cleaned (or, if it died mid-swap, the last good book restored) at the
start of the next one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import execute
from .params import chapter_specs, resolve_chapter, resolve_params

BUILD = "_build"
BOOK = "_book"


class BuildError(RuntimeError):
    """A build step failed; the message says which and where."""


@dataclass
class BuildReport:
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    engine: str | None = None  # the engine that rendered (or would have rendered) the book


def recover(root: Path, log=print) -> None:
    """Clean what an interrupted build left behind; restore the last good book if it was mid-swap."""
    book = root / BOOK
    olds = sorted(root.glob(f"{BOOK}.old-*"))
    if not book.exists() and olds:
        os.replace(olds[-1], book)
        log(f"recovered the last good book from {olds[-1].name}")
        olds = olds[:-1]
    for path in [*olds, *root.glob(f"{BOOK}.new-*")]:
        shutil.rmtree(path, ignore_errors=True)
    build = root / BUILD
    if build.is_dir():
        for path in build.rglob("*.running.ipynb"):
            path.unlink(missing_ok=True)


def publish(staging: Path, root: Path) -> None:
    """Swap the staged book into ``_book/`` with two renames (never a half-written folder)."""
    book = root / BOOK
    old = root / f"{BOOK}.old-{os.getpid()}"
    if book.exists():
        os.replace(book, old)
    os.replace(staging, book)
    shutil.rmtree(old, ignore_errors=True)


def source_date(root: Path) -> str:
    """The edition date: ``SOURCE_DATE_EPOCH`` if set, else the date of the source commit."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    # Not a git checkout and no SOURCE_DATE_EPOCH: the clock is the only date left.
    return time.strftime("%Y-%m-%d", time.gmtime())


def source_commit(root: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def plan(root: Path, params: dict[str, dict]) -> list[execute.ChapterRun]:
    specs = chapter_specs()
    inputs = execute.inputs_fingerprint(root)
    runs = []
    for key, spec in specs.items():
        nb = root / spec.notebook
        if not nb.is_file():
            raise BuildError(f"chapter {key}: notebook {spec.notebook} not found")
        runs.append(execute.ChapterRun(
            key=key, notebook=Path(spec.notebook),
            output=root / BUILD / "executed" / nb.name, params=params[key],
            fingerprint=execute.chapter_fingerprint(nb, params[key], inputs),
        ))
    return runs


def build(root: Path, *, overrides: list[str] = (), param_set: str | None = None,
          chapters: list[str] = (), jobs: int | None = None, render: bool = True,
          only: list[str] = (), engine: str | None = None, log=print) -> BuildReport:
    """Build the whole book into ``_book/``; raise on the first problem, leaving ``_book/`` as it was.

    ``engine`` renders it: ``builtin`` or ``quarto`` (``None``: the documented default,
    :data:`exile_report.render.quarto.DEFAULT_ENGINE`).
    """
    with build_lock(root, log):
        return _build(root, overrides=overrides, param_set=param_set, chapters=chapters,
                      jobs=jobs, render=render, only=only, engine=engine, log=log)


@contextmanager
def build_lock(root: Path, log=print):
    """One build at a time per checkout; the lock dies with its process (a killed build frees it)."""
    (root / BUILD).mkdir(exist_ok=True)
    with open(root / BUILD / "build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("another build of this checkout is running; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _build(root: Path, *, overrides, param_set, chapters, jobs, render, only, engine,
           log) -> BuildReport:
    t0 = time.perf_counter()
    recover(root, log)
    # Kernels for the chapters that will almost surely run start now, on a free core, while
    # this process resolves parameters and checks data (see execute.KernelPool).
    kernels = execute.KernelPool()
    try:
        kernels.start(execute.kernels_to_start(root / BUILD / "executed", chapters=chapters,
                                               overrides=overrides, param_set=param_set,
                                               only=only, jobs=jobs), root)
        return _build_steps(root, t0, kernels, overrides=overrides, param_set=param_set,
                            chapters=chapters, jobs=jobs, render=render, only=only,
                            engine=engine, log=log)
    finally:
        kernels.close()


def _build_steps(root: Path, t0: float, kernels, *, overrides, param_set, chapters, jobs, render,
                 only, engine, log) -> BuildReport:
    report = BuildReport()
    params = resolve_params(root / "params.yml", list(overrides), param_set)
    force = {resolve_chapter(c) for c in chapters}
    report.timings["params"] = time.perf_counter() - t0

    t = time.perf_counter()
    _check_data(root, log)
    report.timings["data check"] = time.perf_counter() - t

    t = time.perf_counter()
    runs = plan(root, params)
    if only:
        keep = {resolve_chapter(c) for c in only}
        runs = [r for r in runs if r.key in keep]
    log("executing chapters")
    execute.execute_chapters(runs, root, force=force, jobs=jobs, kernels=kernels, log=log)
    kernels.close()  # before rendering: a kernel nobody took would only hold memory
    report.executed = [r.key for r in runs if r.executed]
    report.cached = [r.key for r in runs if not r.executed]
    report.timings["execute"] = time.perf_counter() - t
    if not report.executed:
        log("no notebook executed: every chapter is up to date")

    if render:
        t = time.perf_counter()
        from .publish import book_fingerprint, render_into, write_variables
        from .render.quarto import resolve_engine

        engine = resolve_engine(engine)
        report.engine = engine

        date, commit = source_date(root), source_commit(root)
        write_variables(root, params, date, commit)
        fingerprint = f"engine {engine}\n" + book_fingerprint(root, runs)
        stamp = root / BOOK / ".fingerprint"
        if stamp.is_file() and stamp.read_text() == fingerprint:
            log("the book is up to date: nothing rendered")
            report.timings["render"] = time.perf_counter() - t
            report.timings["total"] = time.perf_counter() - t0
            return report
        staging = root / f"{BOOK}.new-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            rendered = render_into(root, staging, runs, params, date=date, commit=commit,
                                   engine=engine, log=log)
            if rendered["render"]["seconds"].get("cpu") is not None:
                report.timings["render cpu"] = rendered["render"]["seconds"]["cpu"]
            (staging / ".fingerprint").write_text(fingerprint)
            publish(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.timings["render"] = time.perf_counter() - t
    report.timings["total"] = time.perf_counter() - t0
    return report


def _check_data(root: Path, log) -> None:
    """Refuse to build on missing, corrupted or tampered data (checksums against the register)."""
    # Hashes against datapackage.json: fast, and catches any missing, truncated or edited file.
    # Schemas run when a chapter loads a table, and in full with `exile-report check`.
    from .checks import datapackage_checks

    problems = datapackage_checks()
    if problems:
        lines = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BuildError(f"the data check failed; fix the data or run `exile-report data`:\n"
                         f"{lines}{more}")
