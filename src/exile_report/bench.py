"""``make bench``: build timings measured in a fresh temporary clone.

Reports the wall time of a cold build (no ``_build/``, no ``_book/``, no figure files), a
no-change rebuild, a one-chapter rebuild and a one-parameter change, plus the share of the cold
build spent outside notebook execution, and the writer's loop on `exile-report preview` (a
Markdown edit, a parameter change and a code edit, each from the saved file to the served page),
and checks them against the targets for a 2-core machine.
Each figure is the median of three runs. Last, the render time of each engine (built-in and
Quarto, when ``quarto`` is on PATH) on the same executed notebooks, wall and CPU seconds, once.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {
    "no-change rebuild": 3.0,  # seconds
    "render": 5.0,  # HTML and PDF together, seconds
    "preview: Markdown edit": 2.0,  # saved notebook -> rebuilt page fetched from the server
    "preview: parameter change": 4.0,  # saved params.yml -> new book (one chapter executed)
}


def _build(clone: Path, *args: str) -> tuple[float, dict[str, float], str]:
    env = dict(os.environ, PYTHONPATH=str(clone / "src"))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "exile_report.cli", "build", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: build {' '.join(args)} failed:\n{proc.stderr}")
    timings = {}
    for line in proc.stdout.splitlines():
        if line.startswith("timings:"):
            for name, value in re.findall(r"([a-z ]+) ([\d.]+) s", line[len("timings:") :]):
                timings[name.strip()] = float(value)
    return wall, timings, proc.stdout


REPEAT = 3  # each timing is the median of this many runs: single runs vary by 10-20 %


def _clean_outputs(clone: Path) -> None:
    """Back to a fresh clone's state: no executed notebooks, no book, no figure files."""
    import shutil

    for folder in ("_build", "_book"):
        shutil.rmtree(clone / folder, ignore_errors=True)
    for path in (clone / "figures").glob("*"):
        if path.suffix in (".png", ".svg", ".csv"):
            path.unlink()


def main() -> int:
    root = Path(__file__).resolve().parents[2]
    colds, agains, ones, changes = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="exile-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
        for i in range(REPEAT):
            if i:
                _clean_outputs(clone)
            # cold: nothing executed or rendered yet
            colds.append(_build(clone))
            # nothing changed: nothing executes, nothing renders
            agains.append(_build(clone))
            # one chapter executed again (same inputs, so the same book: nothing to render)
            ones.append(_build(clone, "--chapter", "scale"))
        # a parameter of one chapter changed: that chapter executes and the book is rendered
        for day in ("2024-09-30", "2024-10-31", "2024-11-30")[:REPEAT]:
            changes.append(_build(clone, "--param", f"scale.as_of={day}"))
        loop = _preview_loop(clone)
        engines = _engine_renders(clone, "--param", "scale.as_of=2024-06-30")
    cold, t_cold = _median_run(colds)
    again, _ = _median_run(agains)
    one, _ = _median_run(ones)
    changed, t_changed = _median_run(changes)
    outside = 1 - t_cold.get("execute", 0.0) / t_cold["total"] if t_cold.get("total") else 0.0
    rows = [
        ("cold build", cold),
        ("no-change rebuild", again),
        ("one-chapter rebuild (--chapter scale)", one),
        ("one chapter's parameter changed (+ render)", changed),
        ("  of which render", t_changed.get("render", float("nan"))),
        ("render (HTML + PDF) in the cold build", t_cold.get("render", float("nan"))),
        ("notebook execution in the cold build", t_cold.get("execute", float("nan"))),
    ]
    print(f"bench (fresh temporary clone, {os.cpu_count()} cores; wall time, median of {REPEAT}):")
    for name, seconds in rows:
        print(f"  {name:<42} {seconds:6.2f} s")
    print(f"  {'share of the cold build outside execution':<42} {100 * outside:6.1f} %")
    for name, runs in loop.items():
        print(
            f"  {name:<42} {statistics.median(runs):6.2f} s  (runs: "
            + ", ".join(f"{r:.2f}" for r in runs)
            + ")"
        )
    print(
        "  all runs (s): cold "
        + ", ".join(f"{r[0]:.2f}" for r in colds)
        + "; no-change "
        + ", ".join(f"{r[0]:.2f}" for r in agains)
        + "; one-chapter "
        + ", ".join(f"{r[0]:.2f}" for r in ones)
        + "; parameter changed "
        + ", ".join(f"{r[0]:.2f}" for r in changes)
    )
    failures = []
    if again >= TARGETS["no-change rebuild"]:
        failures.append(f"no-change rebuild {again:.2f} s >= {TARGETS['no-change rebuild']} s")
    if any("no notebook executed" not in r[2] for r in agains):
        failures.append("a no-change rebuild executed a notebook")
    if one >= cold / 3:
        failures.append(
            f"one-chapter rebuild {one:.2f} s >= a third of the cold build ({cold / 3:.2f} s)"
        )
    if t_cold.get("render", 0) >= TARGETS["render"]:
        failures.append(f"render {t_cold['render']:.2f} s >= {TARGETS['render']} s")
    for name, runs in loop.items():
        if name in TARGETS and statistics.median(runs) > TARGETS[name]:
            failures.append(f"{name} {statistics.median(runs):.2f} s > {TARGETS[name]} s")
    print("render of the same executed notebooks, by engine (once each; wall / CPU):")
    for engine, value in engines.items():
        if isinstance(value, str):
            print(f"  {engine:<42} {value}")
        else:
            print(
                f"  {engine:<42} {value['render']:6.2f} s / {value.get('render cpu', float('nan')):6.2f} s CPU"
            )
    for f in failures:
        print(f"  target missed: {f}")
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


#: Seconds between a reload and the next timed edit: a writer reads the page before changing
#: something again, and the preview uses that time to start the next chapter's kernel.
READING_PAUSE = 3.0


def _preview_loop(clone: Path) -> dict[str, list[float]]:
    """The writer's loop on ``exile-report preview``: seconds from a saved file to the served page
    that shows it, for a one-word Markdown edit, a parameter change and a code edit (each in one
    chapter), each after :data:`READING_PAUSE`."""
    from .preview import PreviewProcess, replace_in_markdown

    times: dict[str, list[float]] = {
        "preview: Markdown edit": [],
        "preview: parameter change": [],
        "preview: code edit in one chapter": [],
    }
    params = clone / "params.yml"
    original = params.read_text(encoding="utf-8")
    # a named set equal to the defaults (nothing to execute), then edited as a writer would
    original += "\n  bench-loop:\n    history: {start_year: 1822}\n"
    params.write_text(original, encoding="utf-8")
    server = PreviewProcess(clone, "--set", "bench-loop")
    try:
        nb = clone / "chapters" / "02-scale.ipynb"
        words = [
            "Five different quantities",
            "Five distinct quantities",
            "Five separate quantities",
        ]
        for old, new in zip(words, words[1:] + words[:1], strict=True):
            text = replace_in_markdown(nb.read_text(encoding="utf-8"), old, new)
            time.sleep(READING_PAUSE)
            seconds, state, html = server.edit_and_reload(nb, text, "chapters/02-scale.html")
            _loop_check(state, new in html, "Markdown edit")
            times["preview: Markdown edit"].append(seconds)
        for year in (1850, 1900, 1822):
            text = original.replace("{start_year: 1822}", f"{{start_year: {year}}}")
            time.sleep(READING_PAUSE)
            seconds, state, _ = server.edit_and_reload(params, text, "chapters/01-history.html")
            _loop_check(state, True, "parameter change")
            times["preview: parameter change"].append(seconds)
        history = clone / "chapters" / "01-history.ipynb"
        source = history.read_text(encoding="utf-8")
        for n in range(REPEAT):
            nb_json = json.loads(source)
            code = [c for c in nb_json["cells"] if c["cell_type"] == "code"]
            code[-1]["source"] = "".join(code[-1]["source"]) + f"\n# bench edit {n}"
            time.sleep(READING_PAUSE)
            seconds, state, _ = server.edit_and_reload(
                history,
                json.dumps(nb_json, indent=1, ensure_ascii=False) + "\n",
                "chapters/01-history.html",
            )
            _loop_check(state, True, "code edit")
            times["preview: code edit in one chapter"].append(seconds)
        history.write_text(source, encoding="utf-8")
    finally:
        server.stop()
    return times


def _loop_check(state: dict, shown: bool, what: str) -> None:
    if state.get("error") or not shown:
        raise SystemExit(
            f"bench: preview {what} did not show: {state.get('error') or 'page unchanged'}"
        )


def _engine_renders(clone: Path, *args: str) -> dict[str, dict | str]:
    """Each engine renders the executed notebooks the last build left (nothing executes again:
    the parameters are the last build's); Quarto first, so the built-in one renders afresh too."""
    import shutil

    result: dict[str, dict | str] = {}
    for engine in ("quarto", "builtin"):
        if engine == "quarto" and not shutil.which("quarto"):
            result[engine] = "skipped: quarto not on PATH"
            continue
        _, timings, out = _build(clone, *args, "--engine", engine)
        if "executed: none" not in out:
            raise SystemExit(f"bench: the {engine} render executed a notebook again:\n{out}")
        result[engine] = timings
    return result


def _median_run(runs: list[tuple[float, dict[str, float], str]]) -> tuple[float, dict[str, float]]:
    """The run with the median wall time, and that run's own step timings."""
    ordered = sorted(runs, key=lambda r: r[0])
    wall, timings, _ = ordered[len(ordered) // 2]
    return wall, timings


if __name__ == "__main__":
    sys.exit(main())
