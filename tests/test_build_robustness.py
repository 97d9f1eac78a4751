"""A build that cannot lie or break: every bad input is refused with a message naming the place,
exits non-zero, and leaves the last good book in ``_book/`` exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import run_cli


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _corrupt_value(repo: Path) -> None:
    path = repo / "data/processed/unhcr_population_origin_year.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[2] = "12x"  # a count that is not a number
    lines[1] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")


def _truncate(repo: Path) -> None:
    path = repo / "data/processed/unhcr_applications.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _append(repo: Path, notebook: str, cell) -> None:
    path = repo / notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(cell)
    nbformat.write(nb, path)


def _add_cell(repo: Path, notebook: str, source: str) -> None:
    _append(repo, notebook, nbformat.v4.new_code_cell(source))


def _add_markdown(repo: Path, notebook: str, text: str) -> None:
    _append(repo, notebook, nbformat.v4.new_markdown_cell(text))


FIG_NO_ALT = """#| label: fig-no-alt
#| fig-cap: "A figure without alt text"
import pandas as pd
from exile_report.plotting import new_figure, save_figure
fig, ax = new_figure()
ax.plot([1, 2], [3, 4])
save_figure(fig, "fig-no-alt", data=pd.DataFrame({"x": [1, 2]}), source="test")
"""

# (id, build arguments, a change to make first (or None), exit code, pattern the message must match)
CASES = [
    ("unknown-chapter", ["--param", "histroy.start_year=1900"], None, 2,
     r"unknown chapter 'histroy' \(did you mean 'history'\?\)"),
    ("unknown-parameter", ["--param", "history.start_yr=1900"], None, 2,
     r"unknown parameter history\.start_yr"),
    ("wrong-type", ["--param", "history.start_year=early"], None, 2,
     r"history\.start_year: expected a whole number, got 'early'"),
    ("out-of-range", ["--param", "asylum-law.top_n=0"], None, 2,
     r"asylum-law\.top_n: 0 is below the minimum 1"),
    ("years-reversed", ["--param", "history.start_year=2020", "--param", "history.end_year=1990"],
     None, 2, r"parameters of history: start_year \(2020\) is after end_year \(1990\)"),
    ("return-rate-above-1", ["--param", "scale.return_rate=[0.2, 1.2]"], None, 2,
     r"scale\.return_rate: 1\.2 is above the maximum 1"),
    ("as-of-not-a-date", ["--param", "host-states.as_of=last-summer"], None, 2,
     r"host-states\.as_of: expected a date YYYY-MM-DD, got 'last-summer'"),
    ("unknown-origin", ["--param", "asylum-law.origins=[RUS, XYZ]"], None, 2,
     r"asylum-law\.origins: 'XYZ' is not allowed"),
    ("code-as-parameter", ["--param", "asylum-law.top_n=__import__('os').getcwd()"], None, 2,
     r"asylum-law\.top_n: expected a whole number"),
    ("bad-override-syntax", ["--param", "history"], None, 2, r"expected CHAPTER\.NAME=VALUE"),
    ("unknown-chapter-flag", ["--chapter", "epilogue"], None, 2, r"unknown chapter 'epilogue'"),
    ("unknown-set", ["--set", "since-1066"], None, 2, r"unknown parameter set 'since-1066'"),
    ("malformed-params-yml", [], lambda r: _edit(r / "params.yml", "sets:", "sets: ["), 2,
     r"params\.yml: line \d+, column \d+: malformed YAML"),
    ("params-yml-unknown-parameter", ["--set", "russia-only"],
     lambda r: _edit(r / "params.yml", "{origins: [RUS]}", "{origins: [RUS], colour: red}"), 2,
     r"set russia-only: unknown parameter asylum-law\.colour"),
    ("params-yml-defaults-section", [],
     lambda r: _edit(r / "params.yml", "sets:", "defaults:\n  asylum-law: {top_n: 5}\nsets:"), 2,
     r"params\.yml: a 'defaults' section is not read"),
    ("missing-data-file", [], lambda r: (r / "data/processed/uk_grant_rates.csv").unlink(), 1,
     r"uk_grant_rates\.csv"),
    ("truncated-data-file", [], _truncate, 1, r"unhcr_applications\.csv"),
    ("corrupted-value", [], _corrupt_value, 1, r"unhcr_population_origin_year\.csv"),
    ("curated-edited", [],
     lambda r: _edit(r / "data/curated/timeline.csv", ",", ";"), 1, r"timeline\.csv"),
    ("missing-notebook", [], lambda r: (r / "chapters/03-host-states.ipynb").unlink(), 1,
     r"chapter host-states: notebook chapters/03-host-states\.ipynb not found"),
    ("notebook-raises", [],
     lambda r: _add_cell(r, "chapters/02-scale.ipynb", "raise RuntimeError('deliberate failure')"),
     1, r"chapter scale .*cell \d+.*RuntimeError: deliberate failure"),
    ("notebook-warns", [],
     lambda r: _add_cell(r, "chapters/04-asylum-law.ipynb",
                         "#| label: fig-warns\nimport warnings\nwarnings.warn('a warning')"),
     1, r"chapter asylum-law, cell \d+ \(fig-warns\): wrote to stderr.*a warning"),
    ("figure-without-alt", [], lambda r: _add_cell(r, "chapters/01-history.ipynb", FIG_NO_ALT), 1,
     r"fig-no-alt.*(alt|fig-alt)"),
    ("unknown-citation", [],
     lambda r: _add_markdown(r, "chapters/01-history.ipynb", "As shown [@nobody_2099_nothing]."),
     1, r"nobody_2099_nothing"),
    ("unresolved-crossref", [],
     lambda r: _add_markdown(r, "chapters/02-scale.ipynb", "See @fig-does-not-exist."), 1,
     r"fig-does-not-exist"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_book_untouched(scratch_repo, case):
    _id, args, change, code, pattern = case
    book = scratch_repo / "_book"
    before = tree_hash(book)
    if change is not None:
        change(scratch_repo)
    proc = run_cli(scratch_repo, "build", *args)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    import re

    assert re.search(pattern, proc.stderr), proc.stderr
    assert tree_hash(book) == before, "_book/ changed after a failed build"
    assert not list(scratch_repo.glob("_book.*")), "staging left behind"


def test_raw_checksum_mismatch_is_refused(scratch_repo, tmp_path):

    from _data_helpers import RAW as source

    if source is None:
        pytest.skip("raw snapshots not available (set EXILE_RAW_DIR)")
    copy = tmp_path / "raw"
    shutil.copytree(source, copy)
    target = copy / "uk-home-office-asylum" / "uk_outcomes_RUS_UKR_BLR.csv"
    target.write_bytes(target.read_bytes() + b"\n")
    before = tree_hash(scratch_repo / "data" / "processed")
    proc = run_cli(scratch_repo, "data", env={"EXILE_RAW_DIR": str(copy)})
    assert proc.returncode != 0
    assert "uk_outcomes_RUS_UKR_BLR.csv" in proc.stderr
    assert tree_hash(scratch_repo / "data" / "processed") == before


def test_interrupted_build_leaves_book_and_recovers(scratch_repo):
    book = scratch_repo / "_book"
    before = tree_hash(book)
    # Force every chapter to execute so the build is long enough to be killed mid-way.
    env = dict(os.environ, PYTHONPATH=str(scratch_repo / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "exile_report.cli", "build", "--param",
                             "history.start_year=1900"], cwd=scratch_repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(2.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tree_hash(book) == before, "_book/ changed by a killed build"
    again = run_cli(scratch_repo, "build", "--param", "history.start_year=1900")
    assert again.returncode == 0, again.stderr
    assert not list(scratch_repo.glob("_book.*"))
    assert not list((scratch_repo / "_build").rglob("*.running.ipynb"))


def test_death_mid_swap_restores_last_good_book(scratch_repo):
    book = scratch_repo / "_book"
    before = tree_hash(book)
    book.rename(scratch_repo / "_book.old-99999")  # as if killed between the two renames
    (scratch_repo / "_book.new-99999").mkdir()
    proc = run_cli(scratch_repo, "build", "--param", "history.start_year=bad")
    assert proc.returncode == 2
    assert tree_hash(book) == before
    assert not list(scratch_repo.glob("_book.*"))


def test_no_change_rebuild_executes_nothing(scratch_repo):
    proc = run_cli(scratch_repo, "build", env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr
    assert "no notebook executed" in proc.stdout
    assert "executed: none" in proc.stdout


def test_one_chapter_rebuild(scratch_repo):
    proc = run_cli(scratch_repo, "build", "--chapter", "scale",
                   env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr
    assert "executed: scale;" in proc.stdout
