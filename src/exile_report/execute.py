"""Running the chapter notebooks: papermill in-process, an explicit kernel, and a content cache.

A chapter is executed again only when something it depends on changed: its notebook, its
parameters, the data files, or the package code that notebooks import. The fingerprint of those
inputs is stored with the executed notebook; a build whose fingerprints all match executes
nothing. Independent chapters run in parallel, one kernel each.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .fingerprint import sha256_file as _sha256

KERNEL_NAME = "exile-report"

#: Arguments of every kernel the build starts. The kernel app would log transport notices to our
#: terminal (its errors still reach the cells); IPython's input history would copy every cell of
#: every build into ``~/.ipython`` (outside the project, growing without end).
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]
#: What a kernel started ahead of its chapter imports while it waits: the module every chapter
#: imports first (pandas, matplotlib, the house style). ``and None`` keeps the line silent.
PRELOAD_ARGS = ["--IPKernelApp.exec_lines=__import__('exile_report.notebook') and None"]

#: Text that may appear on a notebook's stderr without failing the build. Keep it empty unless a
#: harmless third-party message cannot be silenced at its source; document each entry.
STDERR_ALLOW: tuple[str, ...] = ()


class ExecutionError(RuntimeError):
    """A chapter failed to execute, or emitted an error or warning; the message names the cell."""


@dataclass
class ChapterRun:
    key: str
    notebook: Path  # source notebook, relative to root
    output: Path  # executed notebook
    params: dict
    fingerprint: str
    executed: bool = False
    seconds: float = 0.0
    #: hash of the code cells, parameters and inputs alone: when only Markdown changed, the
    #: executed notebook takes the new Markdown without a new execution (see refresh.py)
    code_fingerprint: str = ""
    refreshed: bool = False


def inputs_fingerprint(root: Path) -> str:
    """One hash over everything every chapter may read (see :mod:`exile_report.fingerprint`)."""
    from .fingerprint import inputs_fingerprint as fingerprint

    return fingerprint(root)


def chapter_fingerprint(notebook: Path, params: dict, inputs: str) -> str:
    return _fingerprint(notebook.read_bytes(), params, inputs)


def code_fingerprint(notebook: Path, params: dict, inputs: str) -> str:
    """Like :func:`chapter_fingerprint`, over the notebook's code cells only (in order)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    code = b"".join(
        ("".join(src) if isinstance(src, list) else src).encode() + b"\0"
        for cell in nb.get("cells", [])
        if cell.get("cell_type") == "code"
        for src in [cell.get("source", "")]
    )
    return _fingerprint(code, params, inputs)


def _fingerprint(content: bytes, params: dict, inputs: str) -> str:
    """What decides a chapter's execution: ``content`` (the notebook, or its code), the
    parameters, everything the chapters read, and the kernel."""
    h = hashlib.sha256()
    h.update(content)
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    h.update(inputs.encode())
    h.update(KERNEL_NAME.encode())
    return h.hexdigest()


def ensure_kernel() -> str:
    """Make sure the explicit kernel exists in this environment (installed by ``make``)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(kernel_name=KERNEL_NAME, display_name="Python 3 (exile-report)", prefix=sys.prefix)
    return KERNEL_NAME


def cached(run: ChapterRun, root: Path) -> bool:
    """True when the executed notebook exists, carries the same fingerprint, and its files exist."""
    if not run.output.is_file():
        return False
    try:
        # Only the metadata is needed: plain JSON, without nbformat's schema validation (which
        # costs a tenth of a second per notebook on every build). The renderer validates later.
        nb = json.loads(run.output.read_text(encoding="utf-8"))
        meta = nb.get("metadata", {}).get("exile_report", {})
    except (ValueError, OSError, AttributeError):  # truncated by an interrupted build: run again
        return False
    if not isinstance(meta, dict):
        return False
    if meta.get("fingerprint") != run.fingerprint:
        return False
    return files_intact(meta, root)


def files_intact(meta: dict, root: Path) -> bool:
    """True when every file an executed chapter wrote still has the hash recorded with it."""
    files = meta.get("files", {})
    if not isinstance(files, dict):
        return False
    return all((root / f).is_file() and _sha256(root / f) == digest for f, digest in files.items())


def check_outputs(nb, key: str) -> None:
    """Fail on any error output or stderr text (warnings are errors), naming the cell."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = _cell_label(cell)
        where = f"chapter {key}, cell {index}" + (f" ({label})" if label else "")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise ExecutionError(f"{where}: {out.get('ename')}: {out.get('evalue')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                if not any(a in text for a in STDERR_ALLOW):
                    first = text.strip().splitlines()[0] if text.strip() else "(empty)"
                    raise ExecutionError(f"{where}: wrote to stderr (warnings are errors): {first}")


def _cell_label(cell) -> str | None:
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("#| label:"):
            return line.split(":", 1)[1].strip()
        if not line.startswith("#|"):
            break
    return None


def coalesce_streams(cell) -> None:
    """Merge consecutive stdout (or stderr) outputs of a cell into one.

    The kernel sends printed text in pieces as its output thread flushes, so one ``print`` can
    arrive as one output or as two ("text" and "\n") depending on timing; merged, the same cell
    gives the same notebook every time.
    """
    merged = []
    for out in cell.get("outputs", []):
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and out.get("output_type") == "stream"
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = _text(prev.get("text", "")) + _text(out.get("text", ""))
            continue
        merged.append(out)
    if "outputs" in cell:
        cell["outputs"] = merged


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _sanitize(nb, run: ChapterRun, root: Path) -> None:
    """Drop what makes executed notebooks differ between identical builds (times, paths, the
    timing-dependent splitting of printed text)."""
    pm = nb.metadata.get("papermill", {})
    for key in (
        "start_time",
        "end_time",
        "duration",
        "exception",
        "input_path",
        "output_path",
        "environment_variables",
        "version",
    ):
        pm.pop(key, None)
    for cell in nb.cells:
        coalesce_streams(cell)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives the cell it adds a random id
        pmc = cell.metadata.get("papermill")
        if pmc is not None:
            for key in ("start_time", "end_time", "duration", "exception", "status"):
                pmc.pop(key, None)
    files = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("exile_report", {})
            files += list(meta.get("files", {}).values())
    nb.metadata["exile_report"] = {
        "fingerprint": run.fingerprint,
        "chapter": run.key,
        "parameters": run.params,
        # the files the chapter wrote, with their hashes: a cached chapter whose figure files
        # were since overwritten or deleted is executed again
        "files": {f: _sha256(root / f) for f in sorted(set(files)) if (root / f).is_file()},
    }
    # Strip absolute paths of this machine from any text output: printed text and the text of
    # results and displays (a cell whose value is a path would otherwise publish it).
    needle = str(root)

    def strip(text):
        text = _text(text)
        return text.replace(needle + os.sep, "").replace(needle, ".") if needle in text else text

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = strip(out.get("text", ""))
            for kind in ("text/plain", "text/markdown", "text/html"):
                if kind in out.get("data", {}):
                    out["data"][kind] = strip(out["data"][kind])


def execute_one(run: ChapterRun, root: Path, km=None) -> ChapterRun:
    """Execute one chapter with papermill into a temporary file, check it, then move it in place.

    ``km`` is a kernel started ahead (see :class:`KernelPool`); it is stopped when the chapter is
    done. Without it, one is made here (see :func:`kernel_manager`) and papermill starts it.
    """

    tmp = run.output.with_suffix(".running.ipynb")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if km is None:
        km = kernel_manager()
    # Each worker thread gets its own event loop, closed when the chapter is done.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return _execute_in_loop(run, root, tmp, start, km)
    finally:
        if km is not None:
            _stop_kernel(km, loop)
        # a cell stopped by a limit leaves nbclient's output reader pending: end it quietly
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()


def _execute_in_loop(run: ChapterRun, root: Path, tmp: Path, start: float, km) -> ChapterRun:
    import nbformat
    import papermill as pm

    from . import inline
    from .cell_limits import CellLimitError, engine

    try:
        source = nbformat.read(root / run.notebook, as_version=4)
        inline.prepare(source)  # hidden cells that evaluate the Markdown's inline expressions
        nb = pm.execute_notebook(
            source,
            str(tmp),
            parameters=copy.deepcopy(run.params),
            kernel_name=KERNEL_NAME,
            cwd=str(root),
            progress_bar=False,
            log_output=False,
            report_mode=False,
            request_save_on_cell_execute=False,
            language="python",
            km=km,
            extra_arguments=KERNEL_ARGS,
            # Every output has been received when the last cell is done, so the kernel is
            # stopped at once instead of asked to shut down (which costs about half a second).
            shutdown_kernel="immediate",
            engine_name=engine(),  # a time limit and an output limit on every cell
        )
    except CellLimitError as exc:
        tmp.unlink(missing_ok=True)
        raise ExecutionError(
            f"chapter {run.key} ({run.notebook}), cell {exc.cell_index}: {exc}"
        ) from None
    except pm.PapermillExecutionError as exc:
        tmp.unlink(missing_ok=True)
        raise ExecutionError(
            f"chapter {run.key} ({run.notebook}), cell {exc.cell_index} "
            f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - kernel died, notebook unreadable, ...
        tmp.unlink(missing_ok=True)
        raise ExecutionError(
            f"chapter {run.key} ({run.notebook}): {type(exc).__name__}: {exc}"
        ) from None
    run.seconds = time.perf_counter() - start
    try:
        check_outputs(nb, run.key)
        values = inline.substitute(nb)
    except inline.InlineError as exc:
        raise ExecutionError(f"chapter {run.key} ({run.notebook}): {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    _sanitize(nb, run, root)
    nb.metadata["exile_report"].update(code_fingerprint=run.code_fingerprint, inline=values)
    nbformat.write(nb, tmp)
    os.replace(tmp, run.output)
    run.executed = True
    return run


def execute_chapters(
    runs: list[ChapterRun],
    root: Path,
    *,
    force: set[str] = frozenset(),
    jobs: int | None = None,
    kernels: KernelPool | None = None,
    log=print,
) -> list[ChapterRun]:
    """Execute the chapters that need it, in parallel where cores allow.

    Chapters take kernels from ``kernels`` (started ahead by the build) while it has any left.
    """
    from .refresh import refresh_markdown

    todo = [r for r in runs if r.key in force or not cached(r, root)]
    for r in list(todo):
        if r.key not in force and refresh_markdown(r, root):
            todo.remove(r)
            log(
                f"  {r.key}: only Markdown changed: placed into the executed notebook, not executed"
            )
    for r in runs:
        if r not in todo and not r.refreshed:
            log(f"  {r.key}: up to date, not executed")
    if not todo:
        return runs
    ensure_kernel()
    jobs = jobs or max(1, min(len(todo), os.cpu_count() or 1))
    for r in todo:
        log(f"  {r.key}: executing {r.notebook}")
    errors = []

    def run_chapter(run: ChapterRun) -> ChapterRun:
        return execute_one(run, root, kernels.take() if kernels else None)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_chapter, r): r for r in todo}
        for fut, r in futures.items():
            try:
                fut.result()
                log(f"  {r.key}: executed in {r.seconds:.1f} s")
            except ExecutionError as exc:
                errors.append(str(exc))
    if errors:
        raise ExecutionError("\n".join(errors))
    return runs


# --------------------------------------------------------------------------- kernels started ahead


class KernelPool:
    """Kernels started at the beginning of a build, before it knows which chapters will run.

    Starting a kernel and importing pandas and matplotlib in it takes one to two seconds. Started
    first thing, that work runs on a free core while the build resolves parameters, checks the
    data and compares fingerprints, so a chapter that then needs executing finds its kernel ready.
    Each kernel serves one chapter and is stopped after it (a chapter never sees another's state);
    kernels left over are stopped by :meth:`close`.
    """

    def __init__(self) -> None:
        self._free: list = []
        self._lock = threading.Lock()

    def start(self, n: int, cwd: Path) -> None:
        if n <= 0:
            return
        ensure_kernel()
        for _ in range(n):
            km = kernel_manager()
            try:
                asyncio.run(
                    km.start_kernel(extra_arguments=KERNEL_ARGS + PRELOAD_ARGS, cwd=str(cwd))
                )
            except Exception:  # noqa: BLE001 - only an optimisation: chapters start their own
                break
            with self._lock:
                self._free.append(km)

    def take(self):
        """A started kernel, or None when there is none left."""
        with self._lock:
            return self._free.pop(0) if self._free else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._free)

    def close(self) -> None:
        """Stop the kernels nobody took."""
        while (km := self.take()) is not None:
            _stop_kernel(km)


def kernel_manager():
    """A manager for one chapter's kernel on the IPC transport: its sockets are files under a
    name of its own in Jupyter's runtime folder, so kernels started side by side never race for
    the same TCP port (papermill's known "ZMQError: Address already in use")."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True)
    return AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        transport="ipc",
        ip=str(runtime / f"exile-report-{uuid.uuid4().hex[:12]}"),
    )


def _stop_kernel(km, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Kill a kernel started ahead and free its ports and files; never raises."""
    try:
        if loop is not None:
            loop.run_until_complete(km.shutdown_kernel(now=True))
        else:
            asyncio.run(km.shutdown_kernel(now=True))
    except Exception:  # noqa: BLE001, S110 - the process may already be gone
        pass


def kernels_to_start(
    executed: Path, *, chapters=(), overrides=(), param_set=None, only=(), jobs: int | None = None
) -> int:
    """How many kernels to start ahead, judged before parameters and fingerprints are known.

    Only where a chapter will almost surely execute: chapters forced with ``--chapter``, a
    ``--param`` or ``--set`` given, or executed notebooks missing (a cold build). A plain
    rebuild starts none, so a build with nothing to do stays quick. ``executed`` is the folder
    of executed notebooks.
    """
    from .params import CHAPTER_MODULES

    cap = jobs or os.cpu_count() or 1
    if chapters:
        n = len(set(chapters))
    elif overrides:
        n = len({o.split(".", 1)[0] for o in overrides})
    elif param_set or len(list(executed.glob("*.ipynb"))) < len(CHAPTER_MODULES):
        n = len(CHAPTER_MODULES)
    else:
        n = 0
    if only:
        n = min(n, len(set(only)))
    return max(0, min(n, cap))
