"""Reproducible bytes: two clean builds from the same sources give identical outputs, and the
book holds nothing of the machine that built it (paths, user name, tracebacks)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import _copy_repo, run_cli

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def _digests(repo: Path) -> dict[str, str]:
    out = {}
    for folder in ("_book", "figures", "data/processed"):
        for path in sorted((repo / folder).rglob("*")):
            if path.is_file():
                out[path.relative_to(repo).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return out


def test_two_clean_builds_are_byte_identical(built_repo, tmp_path):
    second = _copy_repo(tmp_path / "second")
    proc = run_cli(second, "build", env=EPOCH)
    assert proc.returncode == 0, proc.stderr
    a, b = _digests(built_repo), _digests(second)
    assert a.keys() == b.keys()
    differ = sorted(k for k in a if a[k] != b[k])
    assert not differ, f"differ between two clean builds: {differ}"
    assert any(k.endswith(".pdf") for k in a) and any(k.endswith(".html") for k in a)


def test_book_holds_no_machine_details(built_repo):
    needles = [str(built_repo), str(Path.home()), "Traceback (most recent call last)"]
    for path in (built_repo / "_book").rglob("*"):
        if not path.is_file() or path.suffix in (".png", ".zip", ".pdf"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in needles:
            assert needle not in text, f"{needle!r} in {path.relative_to(built_repo)}"


def test_pdf_has_no_machine_paths(built_repo):
    data = (built_repo / "_book" / "exile-report.pdf").read_bytes()
    assert str(built_repo).encode() not in data
