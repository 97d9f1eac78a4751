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
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import execute
from .params import chapter_specs, resolve_chapter, resolve_params

BUILD = "_build"
BOOK = "_book"
TMP = "tmp"  # under _build/: the build's temporary files, removed by the next build if killed


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
        # temporary files of a killed build (pandoc and typst work folders): see _build
        shutil.rmtree(build / TMP, ignore_errors=True)


def publish(staging: Path, root: Path, out: Path | None = None) -> None:
    """Swap the staged book into ``_book/`` (or ``out``) with two renames (never a half-written
    folder)."""
    book = out or root / BOOK
    old = book.with_name(f"{book.name}.old-{os.getpid()}")
    if book.exists():
        os.replace(book, old)
    try:
        os.replace(staging, book)
    except BaseException:
        if old.exists() and not book.exists():
            os.replace(old, book)  # the last good book goes back where it was
        raise
    shutil.rmtree(old, ignore_errors=True)


def plan(root: Path, params: dict[str, dict]) -> list[execute.ChapterRun]:
    specs = chapter_specs()
    inputs = execute.inputs_fingerprint(root)
    runs = []
    for key, spec in specs.items():
        nb = root / spec.notebook
        if not nb.is_file():
            raise BuildError(f"chapter {key}: notebook {spec.notebook} not found")
        runs.append(
            execute.ChapterRun(
                key=key,
                notebook=Path(spec.notebook),
                output=root / BUILD / "executed" / nb.name,
                params=params[key],
                fingerprint=execute.chapter_fingerprint(nb, params[key], inputs),
                code_fingerprint=execute.code_fingerprint(nb, params[key], inputs),
            )
        )
    return runs


def build(
    root: Path,
    *,
    overrides: list[str] = (),
    param_set: str | None = None,
    chapters: list[str] = (),
    jobs: int | None = None,
    render: bool = True,
    only: list[str] = (),
    engine: str | None = None,
    out: Path | None = None,
    log=print,
) -> BuildReport:
    """Build the whole book into ``_book/``; raise on the first problem, leaving ``_book/`` as it was.

    ``engine`` renders it: ``builtin`` or ``quarto`` (``None``: the documented default,
    :data:`exile_report.render.quarto.DEFAULT_ENGINE`). ``out`` publishes the book into that
    folder instead (swapped in atomically in the same way), leaving ``_book/`` untouched: the
    place for a variant (other parameters) next to the edition.
    """
    out = _out_dir(root, out)
    steps = {k: v for k, v in locals().items() if k != "root"}  # the arguments, as given
    with build_lock(root, log):
        return _build(root, steps)


def _out_dir(root: Path, out) -> Path | None:
    """``--out DIR`` checked: not the checkout itself or a folder the build owns or reads."""
    if out is None:
        return None
    out = Path(out).expanduser().resolve()
    root = Path(root).resolve()
    if out == root / BOOK:
        return None
    owned = [root, root / BUILD, root / "data", root / "chapters", root / "src", root / "figures"]
    if (
        out in owned
        or any(p in out.parents for p in owned[1:])
        or root == out
        or out in root.parents
    ):
        raise BuildError(
            f"--out {out}: choose a folder outside the sources (not the checkout, _build/, data/, "
            "chapters/, src/ or figures/)"
        )
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / ".fingerprint").is_file():
        raise BuildError(
            f"--out {out}: the folder is not empty and holds no book built by exile-report; "
            "choose an empty or new folder"
        )
    return out


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


def _build(root: Path, steps: dict) -> BuildReport:
    """:func:`build` under its lock; ``steps`` are its keyword arguments."""
    t0 = time.perf_counter()
    jobs = steps["jobs"]
    if jobs is not None and jobs < 1:
        raise BuildError(f"--jobs {jobs}: expected a whole number of 1 or more")
    recover(root, steps["log"])
    # Temporary folders (pandoc, typst, Quarto staging) live in _build/tmp/ rather than the
    # system's: a killed build cannot leave them behind, the next build's recover() removes them.
    tmp = root / BUILD / TMP
    tmp.mkdir(parents=True, exist_ok=True)
    saved_tempdir, tempfile.tempdir = tempfile.tempdir, str(tmp)
    try:
        return _build_with_kernels(root, t0, steps)
    finally:
        tempfile.tempdir = saved_tempdir
        shutil.rmtree(tmp, ignore_errors=True)


def _build_with_kernels(root: Path, t0: float, steps: dict) -> BuildReport:
    """The build's steps (:func:`_build_steps`, with ``steps`` as its keyword arguments) with
    the kernels for the chapters that will almost surely run started first, on a free core,
    while this process resolves parameters and checks data (see execute.KernelPool)."""
    kernels = execute.KernelPool()
    try:
        ahead = execute.kernels_to_start(
            root / BUILD / "executed",
            **{k: steps[k] for k in ("chapters", "overrides", "param_set", "only", "jobs")},
        )
        kernels.start(ahead, root)
        return _build_steps(root, t0, kernels, **steps)
    finally:
        kernels.close()


def _build_steps(
    root: Path,
    t0: float,
    kernels,
    *,
    overrides,
    param_set,
    chapters,
    jobs,
    render,
    only,
    engine,
    out,
    log,
) -> BuildReport:
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
        from .provenance import of, variant
        from .publish import (
            book_fingerprint,
            check_book,
            render_into,
            unexecuted_notebooks,
            write_variables,
        )
        from .render.quarto import resolve_engine

        engine = resolve_engine(engine)
        report.engine = engine

        unexecuted = unexecuted_notebooks(root, runs)
        if unexecuted:
            raise BuildError(
                f"_quarto.yml lists {', '.join(unexecuted)}, which no chapter "
                "declares (src/exile_report/params.py): it would be published "
                "unexecuted"
            )
        prov = of(root)
        date, commit = prov.date, prov.commit
        var = variant(params, resolve_params(root / "params.yml", [], None), prov.dirty)
        if var.is_variant:
            log(
                f"this build is a {var.label}: the title page, colophon, HTML pages and PDF name "
                "say so"
            )
        write_variables(root, params, date, commit, variant=var)
        fingerprint = f"engine {engine}\nvariant {var.label}\nbuilt {date}\n" + book_fingerprint(
            root, runs
        )
        target = out or root / BOOK
        stamp = target / ".fingerprint"
        if stamp.is_file() and stamp.read_text() == fingerprint:
            log("the book is up to date: nothing rendered")
            report.timings["render"] = time.perf_counter() - t
            report.timings["total"] = time.perf_counter() - t0
            return report
        staging = target.with_name(f"{target.name}.new-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            rendered = render_into(
                root, staging, runs, params, provenance=prov, engine=engine, log=log, variant=var
            )
            check_book(root, staging, rendered["render"])
            if rendered["render"]["seconds"].get("cpu") is not None:
                report.timings["render cpu"] = rendered["render"]["seconds"]["cpu"]
            (staging / ".fingerprint").write_text(fingerprint)
            target.parent.mkdir(parents=True, exist_ok=True)
            publish(staging, root, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.timings["render"] = time.perf_counter() - t
    report.timings["total"] = time.perf_counter() - t0
    return report


def _check_data(root: Path, log) -> None:
    """Refuse to build on missing, corrupted, tampered or invalid data.

    Hashes against ``datapackage.json`` catch a missing, truncated or edited file; every table is
    then validated against its schema unless it passed under the same key before (its bytes, the
    schemas, the validator and the lock file: :func:`exile_report.fingerprint.table_key`), so a
    tightened rule or a hand-edited hash never lets a bad value through."""
    from .checks import datapackage_checks
    from .data import check_table
    from .fingerprint import record_validated, table_key, validated_keys
    from .schemas import TABLES

    problems = datapackage_checks()
    before, passed = validated_keys(root), {}
    for name, table in TABLES.items():
        if not table.path.is_file():
            continue  # reported above when the descriptor lists it
        key = table_key(table.path, root)
        found = [] if before.get(name) == key else check_table(name)
        if found:
            problems += found
        else:
            passed[name] = key
    record_validated(root, passed)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BuildError(
            f"the data check failed; fix the data or run `exile-report data`:\n{lines}{more}"
        )
