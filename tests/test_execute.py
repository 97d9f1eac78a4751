"""Execution: papermill with the explicit kernel, the cache, errors and warnings named by cell."""

from pathlib import Path

import nbformat
import pytest

from exile_report import execute
from exile_report.execute import ChapterRun, ExecutionError
from exile_report.params import CHAPTER_MODULES


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "exile-report", "display_name": "x", "language": "python"}
    param = nbformat.v4.new_code_cell("x = 1\nname = 'a'", metadata={"tags": ["parameters"]})
    nb.cells = [param] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def _run(root: Path, nb: Path, params: dict) -> ChapterRun:
    fp = execute.chapter_fingerprint(nb, params, "inputs")
    return ChapterRun(
        key="demo",
        notebook=nb.relative_to(root),
        output=root / "_build" / "executed" / nb.name,
        params=params,
        fingerprint=fp,
    )


@pytest.mark.slow  # starts a kernel
def test_executes_with_parameters_and_caches(tmp_path):
    nb = _notebook(tmp_path / "demo.ipynb", "print(x * 2, name)")
    run = _run(tmp_path, nb, {"x": 21, "name": "b"})
    logs = []
    execute.execute_chapters([run], tmp_path, log=logs.append)
    assert run.executed
    out = nbformat.read(run.output, as_version=4)
    printed = "".join(o.get("text", "") for c in out.cells for o in c.get("outputs", []))
    assert "42 b" in printed
    meta = out.metadata["exile_report"]
    assert meta["fingerprint"] == run.fingerprint and meta["parameters"] == {"x": 21, "name": "b"}
    # no clock times or machine paths in the executed notebook
    text = run.output.read_text()
    assert "start_time" not in text and str(tmp_path) not in text

    again = _run(tmp_path, nb, {"x": 21, "name": "b"})
    logs.clear()
    execute.execute_chapters([again], tmp_path, log=logs.append)
    assert not again.executed
    assert any("up to date" in line for line in logs)

    changed = _run(tmp_path, nb, {"x": 2, "name": "b"})
    execute.execute_chapters([changed], tmp_path, log=logs.append)
    assert changed.executed


@pytest.mark.slow  # starts a kernel
def test_error_names_the_cell(tmp_path):
    nb = _notebook(
        tmp_path / "bad.ipynb", "y = 1", "#| label: fig-broken\nraise ValueError('boom')"
    )
    run = _run(tmp_path, nb, {"x": 1, "name": "a"})
    with pytest.raises(ExecutionError, match=r"chapter demo .*cell 3.*ValueError: boom"):
        execute.execute_chapters([run], tmp_path, log=lambda s: None)
    assert not run.output.exists()
    assert not list(tmp_path.rglob("*.running.ipynb"))


@pytest.mark.slow  # starts a kernel
def test_warning_fails_the_build(tmp_path):
    nb = _notebook(
        tmp_path / "warn.ipynb", "#| label: fig-noisy\nimport warnings\nwarnings.warn('careful')"
    )
    run = _run(tmp_path, nb, {"x": 1, "name": "a"})
    with pytest.raises(ExecutionError, match=r"cell 2 \(fig-noisy\): wrote to stderr.*careful"):
        execute.execute_chapters([run], tmp_path, log=lambda s: None)


@pytest.mark.slow  # starts a kernel
def test_parameter_value_cannot_inject_code(tmp_path):
    evil = "'); open('pwned', 'w').write('x'); print('"
    nb = _notebook(tmp_path / "inj.ipynb", "print(repr(name))")
    run = _run(tmp_path, nb, {"x": 1, "name": evil})
    execute.execute_chapters([run], tmp_path, log=lambda s: None)
    assert not (tmp_path / "pwned").exists()
    out = nbformat.read(run.output, as_version=4)
    printed = "".join(o.get("text", "") for c in out.cells for o in c.get("outputs", []))
    assert repr(evil) in printed


@pytest.mark.slow  # starts a kernel
def test_truncated_executed_notebook_is_rebuilt(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "print(x)")
    run = _run(tmp_path, nb, {"x": 1, "name": "a"})
    run.output.parent.mkdir(parents=True)
    run.output.write_text('{"cells": [')  # an interrupted write
    assert not execute.cached(run, tmp_path)
    execute.execute_chapters([run], tmp_path, log=lambda s: None)
    assert run.executed


@pytest.mark.slow  # starts a kernel
def test_parallel_execution(tmp_path):
    runs = []
    for i in range(3):
        nb = _notebook(tmp_path / f"p{i}.ipynb", f"print('chapter {i}', x)")
        r = _run(tmp_path, nb, {"x": i, "name": "a"})
        r.key = f"c{i}"
        runs.append(r)
    execute.execute_chapters(runs, tmp_path, jobs=2, log=lambda s: None)
    assert all(r.executed for r in runs)


@pytest.mark.slow  # starts a kernel
def test_kernels_started_ahead_serve_one_chapter_each_and_are_stopped(tmp_path):
    pool = execute.KernelPool()
    pool.start(2, tmp_path)
    assert len(pool) == 2
    started = list(pool._free)
    # the first chapter gets a started kernel that already imported the chapters' first module
    nb = _notebook(
        tmp_path / "demo.ipynb",
        "import sys\nprint('preloaded' if 'exile_report.notebook' in sys.modules else 'cold')",
    )
    run = _run(tmp_path, nb, {"x": 1, "name": "a"})
    execute.execute_chapters([run], tmp_path, kernels=pool, log=lambda _m: None)
    out = nbformat.read(run.output, as_version=4)
    assert "preloaded" in "".join(o.get("text", "") for o in out.cells[-1].outputs)
    assert len(pool) == 1
    pool.close()
    assert len(pool) == 0
    # the kernel that ran the chapter and the one nobody took are both gone
    for km in started:
        assert not km.has_kernel


@pytest.mark.slow  # starts a kernel
def test_a_chapter_that_fails_on_a_started_kernel_still_stops_it(tmp_path):
    pool = execute.KernelPool()
    pool.start(1, tmp_path)
    km = pool._free[0]
    nb = _notebook(tmp_path / "bad.ipynb", "raise RuntimeError('boom')")
    run = _run(tmp_path, nb, {})
    with pytest.raises(ExecutionError, match="boom"):
        execute.execute_chapters([run], tmp_path, kernels=pool, log=lambda _m: None)
    assert not km.has_kernel


#: every chapter notebook executed (a warm build)
ALL = len(CHAPTER_MODULES)


@pytest.mark.parametrize(
    ("kwargs", "executed", "expected"),
    [
        ({}, ALL, 0),  # plain rebuild: maybe nothing to do
        ({}, 0, 2),  # cold: every chapter runs, two cores
        ({"chapters": ["scale"]}, ALL, 1),  # forced chapter
        ({"overrides": ["scale.as_of=2023-12-31", "scale.hosts=[ARM]"]}, ALL, 1),
        ({"overrides": ["scale.as_of=2023-12-31", "history.start_year=1900"]}, ALL, 2),
        ({"param_set": "since-1991"}, ALL, 2),
        ({"only": ["scale"]}, 0, 1),  # cold, but only one chapter asked for
        ({"chapters": ["scale", "history", "asylum-law"]}, ALL, 2),  # never more than the cores
    ],
)
def test_kernels_to_start(tmp_path, kwargs, executed, expected):
    folder = tmp_path / "_build" / "executed"
    folder.mkdir(parents=True)
    for i in range(executed):
        (folder / f"{i}.ipynb").write_text("{}")
    assert execute.kernels_to_start(folder, jobs=2, **kwargs) == expected


@pytest.mark.slow  # starts a kernel
def test_kernels_write_no_input_history_outside_the_project(tmp_path, monkeypatch):
    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    nb = _notebook(tmp_path / "demo.ipynb", "secret_cell_text = 1")
    execute.execute_chapters([_run(tmp_path, nb, {})], tmp_path, log=lambda _m: None)
    history = list(ipython_dir.rglob("history.sqlite"))
    assert all(b"secret_cell_text" not in p.read_bytes() for p in history), history


@pytest.mark.slow  # starts a kernel
def test_printed_text_split_by_the_kernel_is_one_output(tmp_path):
    # Flushing between two writes makes the kernel send two stream messages, as a timing-
    # dependent flush can do in the middle of one print; the executed notebook must not depend
    # on that timing.
    nb = _notebook(
        tmp_path / "demo.ipynb",
        "import sys\nsys.stdout.write('one'); sys.stdout.flush()\nprint(' two')",
    )
    run = _run(tmp_path, nb, {})
    execute.execute_chapters([run], tmp_path, log=lambda _m: None)
    outputs = nbformat.read(run.output, as_version=4).cells[-1].outputs
    assert [(o.output_type, o.name, o.text) for o in outputs] == [("stream", "stdout", "one two\n")]


def test_coalesce_streams_keeps_other_outputs_in_order():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a"),
        nbformat.v4.new_output("stream", name="stdout", text=["b", "\n"]),
        nbformat.v4.new_output("display_data", data={"text/plain": "d"}),
        nbformat.v4.new_output("stream", name="stdout", text="c"),
        nbformat.v4.new_output("stream", name="stderr", text="e"),
    ]
    execute.coalesce_streams(cell)
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in cell.outputs] == [
        ("stream", "stdout", "ab\n"),
        ("display_data", None, None),
        ("stream", "stdout", "c"),
        ("stream", "stderr", "e"),
    ]
