"""``python -m exile_report.datapackage`` and ``python -m exile_report.identity`` share one entry:
the path written on stdout, or one ``error:`` line and exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from exile_report.writer_cli import run_writer


def test_the_path_written_is_printed(capsys, tmp_path):
    assert run_writer(lambda: tmp_path / "datapackage.json", (ValueError,)) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"{tmp_path / 'datapackage.json'}\n", "")


def test_a_known_error_is_one_line_and_exit_1(capsys):
    def fails() -> Path:
        raise ValueError("_quarto.yml: edition: released is not a date")

    assert run_writer(fails, (ValueError, OSError)) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", "error: _quarto.yml: edition: released is not a date\n")


def test_an_unexpected_error_keeps_its_traceback():
    def fails() -> Path:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_writer(fails, (ValueError, OSError))


@pytest.mark.parametrize(
    ("module", "writer"), [("datapackage", "write"), ("identity", "write_cff")]
)
def test_both_entries_use_it(monkeypatch, capsys, module, writer):
    import importlib

    mod = importlib.import_module(f"exile_report.{module}")

    def fails() -> Path:
        raise OSError(f"{module}: read-only folder")

    monkeypatch.setattr(mod, writer, fails)
    assert mod.main() == 1
    assert capsys.readouterr().err == f"error: {module}: read-only folder\n"
