"""``make bench``: build timings measured in a fresh temporary clone.

Reports the wall time of a cold build (no ``_build/``, no ``_book/``), a no-change rebuild and a
one-chapter rebuild, plus the share of the cold build spent outside notebook execution, and checks
them against the targets for a 2-core machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {
    "no-change rebuild": 3.0,  # seconds
    "render": 5.0,  # HTML and PDF together, seconds
}


def _build(clone: Path, *args: str) -> tuple[float, dict[str, float], str]:
    env = dict(os.environ, PYTHONPATH=str(clone / "src"))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "exile_report.cli", "build", *args], cwd=clone,
                          env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: build {' '.join(args)} failed:\n{proc.stderr}")
    timings = {}
    for line in proc.stdout.splitlines():
        if line.startswith("timings:"):
            for name, value in re.findall(r"([a-z ]+) ([\d.]+) s", line[len("timings:"):]):
                timings[name.strip()] = float(value)
    return wall, timings, proc.stdout


def main() -> int:
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="exile-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
        cold, t_cold, _ = _build(clone)
        again, _, out_again = _build(clone)
        one, _, _ = _build(clone, "--chapter", "scale")
        # a parameter of one chapter changed: that chapter executes and the book is rendered again
        changed, t_changed, _ = _build(clone, "--param", "scale.return_rate=[0.15, 0.3]")
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
    print("bench (fresh temporary clone, wall time):")
    for name, seconds in rows:
        print(f"  {name:<42} {seconds:6.2f} s")
    print(f"  {'share of the cold build outside execution':<42} {100 * outside:6.1f} %")
    failures = []
    if again >= TARGETS["no-change rebuild"]:
        failures.append(f"no-change rebuild {again:.2f} s >= {TARGETS['no-change rebuild']} s")
    if "no notebook executed" not in out_again:
        failures.append("the no-change rebuild executed a notebook")
    if one >= cold / 3:
        failures.append(f"one-chapter rebuild {one:.2f} s >= a third of the cold build")
    if t_cold.get("render", 0) >= TARGETS["render"]:
        failures.append(f"render {t_cold['render']:.2f} s >= {TARGETS['render']} s")
    for f in failures:
        print(f"  target missed: {f}")
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
