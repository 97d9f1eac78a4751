"""The build's caches are keyed on everything they depend on (issue 20, "cache holes")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exile_report.fingerprint import inputs_fingerprint, sha256_file, table_key


@pytest.fixture()
def tree(tmp_path) -> Path:
    for rel, text in {
        "data/processed/a.csv": "x\n1\n",
        "data/curated/b.csv": "y\n2\n",
        "data/README.md": "# Data\n",
        "data/sources.yml": "sources: []\n",
        "data/datapackage.json": "{}\n",
        "references.bib": "",
        "requirements.lock": "pandas==3.0.0 --hash=sha256:00\n",
        "src/exile_report/schemas.py": "",
        "src/exile_report/tables.yml": "RULE: quarter <= 4\n",
        "src/exile_report/figure_columns.yml": "figures: {}\n",
        "src/exile_report/data.py": "",
        "src/exile_report/analysis/x.py": "",
        "src/exile_report/render/html.py": "",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "changed",
    [
        "requirements.lock",
        "data/README.md",
        "data/processed/a.csv",
        "src/exile_report/analysis/x.py",
        "src/exile_report/tables.yml",
        "src/exile_report/figure_columns.yml",
    ],
)
def test_chapters_depend_on_lock_file_readme_data_and_code(tree, changed):
    before = inputs_fingerprint(tree)
    path = tree / changed
    path.write_text(path.read_text() + "# changed\n")
    assert inputs_fingerprint(tree) != before, changed


def test_renderer_code_does_not_re_execute_chapters(tree):
    before = inputs_fingerprint(tree)
    (tree / "src/exile_report/render/html.py").write_text("# only the renderer changed\n")
    assert inputs_fingerprint(tree) == before


@pytest.mark.parametrize(
    "changed",
    [
        "src/exile_report/schemas.py",
        "src/exile_report/tables.yml",
        "src/exile_report/data.py",
        "requirements.lock",
        "data/processed/a.csv",
    ],
)
def test_a_table_is_trusted_only_under_the_schema_it_passed(tree, changed):
    table = tree / "data/processed/a.csv"
    before = table_key(table, tree)
    path = tree / changed
    path.write_text(path.read_text() + "# tightened\n")
    assert table_key(table, tree) != before, changed


def test_one_sha256_helper(tree):
    import hashlib

    path = tree / "data/processed/a.csv"
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    src = Path(__file__).resolve().parents[1] / "src/exile_report"
    helpers = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if "def sha256" in p.read_text(encoding="utf-8")
        or "def _sha256" in p.read_text(encoding="utf-8")
    ]
    assert helpers == ["fingerprint.py"], helpers


def test_datapackage_does_not_import_processing():
    """``datapackage`` and ``processing`` imported each other; the descriptor needs no processing."""
    code = "import sys, exile_report.datapackage; print('exile_report.processing' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
