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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

KERNEL_NAME = "exile-report"

#: Text that may appear on a notebook's stderr without failing the build. Keep it empty unless a
#: harmless third-party message cannot be silenced at its source; document each entry.
STDERR_ALLOW: tuple[str, ...] = ()

# Package code that cannot change what a notebook computes; editing it does not re-execute.
_CODE_EXCLUDE = ("render", "cli.py", "build.py", "bench.py", "execute.py")


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


def _sha256_files(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def inputs_fingerprint(root: Path) -> str:
    """One hash over everything every chapter may read: data tables, register, bibliography, code."""
    files: list[Path] = []
    for folder in ("data/processed", "data/curated"):
        files += [p for p in (root / folder).rglob("*") if p.is_file()]
    files += [p for p in (root / "data").glob("*.yml") if p.is_file()]
    files += [p for p in (root / "data").glob("*.json") if p.is_file()]
    files += [p for p in root.glob("*.bib")]
    pkg = root / "src" / "exile_report"
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(pkg).parts
        if rel[0] in _CODE_EXCLUDE:
            continue
        files.append(path)
    return _sha256_files(files, root)


def chapter_fingerprint(notebook: Path, params: dict, inputs: str) -> str:
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
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

        install(kernel_name=KERNEL_NAME, display_name="Python 3 (exile-report)",
                prefix=sys.prefix)
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
    files = meta.get("files", {})
    if not isinstance(files, dict):
        return False
    return all((root / f).is_file() and _sha256(root / f) == digest for f, digest in files.items())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def _sanitize(nb, run: ChapterRun, root: Path) -> None:
    """Drop what makes executed notebooks differ between identical builds (times, paths)."""
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "exception", "input_path", "output_path",
                "environment_variables", "version"):
        pm.pop(key, None)
    for cell in nb.cells:
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
        "fingerprint": run.fingerprint, "chapter": run.key, "parameters": run.params,
        # the files the chapter wrote, with their hashes: a cached chapter whose figure files
        # were since overwritten or deleted is executed again
        "files": {f: _sha256(root / f) for f in sorted(set(files)) if (root / f).is_file()},
    }
    # Strip absolute paths of this machine from any text output (tracebacks are errors anyway).
    needle = str(root)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and needle in out.get("text", ""):
                out["text"] = out["text"].replace(needle + os.sep, "").replace(needle, ".")


def execute_one(run: ChapterRun, root: Path) -> ChapterRun:
    """Execute one chapter with papermill into a temporary file, check it, then move it in place."""

    tmp = run.output.with_suffix(".running.ipynb")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    # Each worker thread gets its own event loop, closed when the chapter is done.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return _execute_in_loop(run, root, tmp, start)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _execute_in_loop(run: ChapterRun, root: Path, tmp: Path, start: float) -> ChapterRun:
    import papermill as pm

    try:
        nb = pm.execute_notebook(
            str(root / run.notebook), str(tmp), parameters=copy.deepcopy(run.params),
            kernel_name=KERNEL_NAME, cwd=str(root), progress_bar=False, log_output=False,
            report_mode=False, request_save_on_cell_execute=False, language="python",
            # The kernel app logs transport notices to our terminal; its errors still reach cells.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            # Every output has been received when the last cell is done, so the kernel is
            # stopped at once instead of asked to shut down (which costs about half a second).
            shutdown_kernel="immediate",
        )
    except pm.PapermillExecutionError as exc:
        tmp.unlink(missing_ok=True)
        raise ExecutionError(
            f"chapter {run.key} ({run.notebook}), cell {exc.cell_index} "
            f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - kernel died, notebook unreadable, ...
        tmp.unlink(missing_ok=True)
        raise ExecutionError(f"chapter {run.key} ({run.notebook}): {type(exc).__name__}: {exc}") \
            from None
    run.seconds = time.perf_counter() - start
    try:
        check_outputs(nb, run.key)
    finally:
        tmp.unlink(missing_ok=True)
    _sanitize(nb, run, root)
    nbformat.write(nb, tmp)
    os.replace(tmp, run.output)
    run.executed = True
    return run


def execute_chapters(runs: list[ChapterRun], root: Path, *, force: set[str] = frozenset(),
                     jobs: int | None = None, log=print) -> list[ChapterRun]:
    """Execute the chapters that need it, in parallel where cores allow."""
    todo = [r for r in runs if r.key in force or not cached(r, root)]
    for r in runs:
        if r not in todo:
            log(f"  {r.key}: up to date, not executed")
    if not todo:
        return runs
    ensure_kernel()
    jobs = jobs or max(1, min(len(todo), os.cpu_count() or 1))
    for r in todo:
        log(f"  {r.key}: executing {r.notebook}")
    errors = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(execute_one, r, root): r for r in todo}
        for fut, r in futures.items():
            try:
                fut.result()
                log(f"  {r.key}: executed in {r.seconds:.1f} s")
            except ExecutionError as exc:
                errors.append(str(exc))
    if errors:
        raise ExecutionError("\n".join(errors))
    return runs
