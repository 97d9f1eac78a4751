"""Shared fixtures: a built copy of the repository for tests that need a whole book."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Fixtures that build a whole book: every test using them is ``slow``, so that
#: ``pytest -m "not slow"`` runs the fast suite in seconds.
BOOK_FIXTURES = {"built_repo", "built_repo_quarto", "reader_repo", "scratch_repo"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())) or "browser" in item.keywords:
            item.add_marker(pytest.mark.slow)


def _copy_repo(dest: Path) -> Path:
    """A working copy of the repository as it is now (tracked and untracked files, no outputs)."""
    patterns = shutil.ignore_patterns(
        ".venv",
        ".venv-cff",
        "node_modules",
        "_build",
        "_book",
        "_book.*",
        ".git",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "*.egg-info",
    )

    def ignore(folder, names):
        # the build's figures/ folder, not the package's exile_report.figures
        return patterns(folder, names) | ({"figures"} if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, dest, ignore=ignore)
    (dest / "figures").mkdir(exist_ok=True)
    return dest


def run_cli(repo: Path, *args: str, env: dict | None = None, timeout: int = 300):
    """Run ``exile-report`` on ``repo`` in a subprocess with that copy's own package code."""
    full_env = dict(os.environ, PYTHONPATH=str(repo / "src"))
    full_env.pop("SOURCE_DATE_EPOCH", None)
    full_env.pop("EXILE_FIGURES_DIR", None)  # a built copy keeps its figures in its own folder
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "exile_report.cli", *args],
        cwd=repo,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(autouse=True, scope="session")
def _figures_elsewhere(tmp_path_factory):
    """Notebooks executed by tests write their figures to a temporary folder, never to the
    book's own ``figures/`` (a cached build would otherwise pick them up)."""
    folder = tmp_path_factory.mktemp("figures")
    old = os.environ.get("EXILE_FIGURES_DIR")
    os.environ["EXILE_FIGURES_DIR"] = str(folder)
    from exile_report import paths, plotting

    saved = (paths.FIGURES, plotting.FIGURES)
    paths.FIGURES = plotting.FIGURES = folder
    yield folder
    paths.FIGURES, plotting.FIGURES = saved
    if old is None:
        os.environ.pop("EXILE_FIGURES_DIR", None)
    else:
        os.environ["EXILE_FIGURES_DIR"] = old


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory) -> Path:
    """A copy of the repository with a complete book built once (shared by read-only tests)."""
    repo = _copy_repo(tmp_path_factory.mktemp("built") / "repo")
    proc = run_cli(repo, "build", env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr
    return repo


QUARTO_MISSING = (
    "quarto not on PATH: the Quarto-rendered book is not tested "
    "(../shared/tools/quarto/install.sh DIR, then put DIR on PATH)"
)


@pytest.fixture(scope="session")
def built_repo_quarto(request, tmp_path_factory) -> Path:
    """The same book rendered by real Quarto from the same executed notebooks (a copy of
    ``built_repo``: nothing executes again). Skipped when ``quarto`` is not on PATH."""
    if not shutil.which("quarto"):
        pytest.skip(QUARTO_MISSING)
    built_repo = request.getfixturevalue("built_repo")
    repo = tmp_path_factory.mktemp("built-quarto") / "repo"
    shutil.copytree(built_repo, repo, symlinks=True)
    proc = run_cli(
        repo, "build", "--engine", "quarto", env={"SOURCE_DATE_EPOCH": "1767225600"}, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    assert "engine: quarto" in proc.stdout and "executed: none" in proc.stdout, proc.stdout
    return repo


@pytest.fixture(scope="module", params=["builtin", "quarto"])
def reader_repo(request) -> Path:
    """The built repository, once per engine: reader-facing tests run on both books."""
    return request.getfixturevalue(
        "built_repo" if request.param == "builtin" else "built_repo_quarto"
    )


@pytest.fixture()
def scratch_repo(built_repo, tmp_path) -> Path:
    """A private copy of the built repository that a test may damage."""
    repo = tmp_path / "repo"
    shutil.copytree(built_repo, repo, symlinks=True)
    return repo
