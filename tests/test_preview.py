"""``exile-report preview``: a real server on a copy of the built project, driven as a writer would."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from exile_report.preview import (
    PreviewProcess,
    changed,
    needs_restart,
    replace_in_markdown,
    snapshot,
)


def test_snapshot_sees_watched_files_only(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "a.qmd").write_text("x")
    (tmp_path / "params.yml").write_text("defaults: {}")
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "b.ipynb").write_text("{}")
    before = snapshot(tmp_path)
    assert set(before) == {"chapters/a.qmd", "params.yml"}
    (tmp_path / "chapters" / "a.qmd").write_text("xy")
    (tmp_path / "_build" / "b.ipynb").write_text("{ }")
    assert changed(before, snapshot(tmp_path)) == ["chapters/a.qmd"]


def test_render_code_restarts_the_server_and_analysis_code_does_not():
    assert needs_restart(["src/exile_report/render/html.py"])
    assert needs_restart(["src/exile_report/build.py"])
    assert not needs_restart(["src/exile_report/analysis/scale.py", "chapters/02-scale.ipynb"])


SET = "\n  preview-test:\n    history: {start_year: 1822}\n"


@pytest.fixture()
def preview(scratch_repo):
    # the writer previews a named set of params.yml; it starts equal to the defaults (cached)
    params = scratch_repo / "params.yml"
    params.write_text(params.read_text(encoding="utf-8") + SET, encoding="utf-8")
    server = PreviewProcess(scratch_repo, "--set", "preview-test")
    yield server
    server.stop()


def test_preview_serves_rebuilds_and_stops(preview, scratch_repo):
    page = preview.get("chapters/02-scale.html").decode()
    assert '<script src="/__preview/reload.js"></script></body>' in page
    assert b"location.reload()" in preview.get("__preview/reload.js")

    # a Markdown-only edit: shown in the served page, the chapter is not executed
    nb = scratch_repo / "chapters" / "02-scale.ipynb"
    text = replace_in_markdown(
        nb.read_text(encoding="utf-8"),
        "Five different quantities",
        "Five quite different quantities",
    )
    _, state, html = preview.edit_and_reload(nb, text, "chapters/02-scale.html")
    assert state["error"] is None
    assert "Five quite different quantities" in html
    assert any("scale: only Markdown changed" in line for line in preview.lines)
    assert not any("executing" in line for line in preview.lines)

    # a parameter change executes that chapter alone
    params = scratch_repo / "params.yml"
    before = preview.get("chapters/01-history.html")
    original = params.read_text(encoding="utf-8")
    assert "{start_year: 1822}" in original
    _, state, html = preview.edit_and_reload(
        params,
        original.replace("{start_year: 1822}", "{start_year: 1900}", 1),
        "chapters/01-history.html",
    )
    assert state["error"] is None and html.encode() != before
    executing = [line for line in preview.lines if "executing" in line]
    assert executing and all("history" in line for line in executing)

    # a change that does not build: the last good book stays served, the page shows the error
    _, state, html = preview.edit_and_reload(
        params,
        original.replace("{start_year: 1822}", "{start_year: 1}", 1),
        "chapters/01-history.html",
    )
    assert state["error"] and "start_year" in state["error"]
    assert "Five quite different quantities" in preview.get("chapters/02-scale.html").decode()

    # the PDF is built when asked for
    assert preview.get("exile-report.pdf")[:5] == b"%PDF-"

    # stopped cleanly: exit status 0 and nothing listens on the port any more
    host, port = urlsplit(preview.url).netloc.split(":")
    assert preview.stop() == 0
    assert any("preview: stopped" in line for line in preview.lines)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5).close()
