"""Schemas, loading and checks: a bad value, a missing column, an unknown citation key or a
stale hash is reported with the file, the column and the row."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from _data_helpers import RAW, ROOT
from exile_report import checks, data, datapackage, paths, schemas
from exile_report.escape import markdown_text
from exile_report.sources import conflicts_table, curated_table, load_register, source_sections


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A copy of data/processed and a bibliography with one extra entry, with paths pointing at
    them (processed tables cite the real bibliography, e.g. press_figures.citation_key)."""
    processed = tmp_path / "processed"
    shutil.copytree(ROOT / "data" / "processed", processed)
    curated = tmp_path / "curated"
    curated.mkdir()
    bib = tmp_path / "references.bib"
    bib.write_text(
        paths.REFERENCES_BIB.read_text(encoding="utf-8")
        + "\n@online{known_2024_key,\n  title = {T},\n}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(paths, "PROCESSED", processed)
    monkeypatch.setattr(paths, "CURATED", curated)
    monkeypatch.setattr(paths, "REFERENCES_BIB", bib)
    return tmp_path


def _edit(path, row, column, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(path, index=False, lineterminator="\n")


def test_every_processed_table_loads_typed_and_valid():
    for table in schemas.PROCESSED_TABLES:
        df = data.load(table.name)
        assert list(df.columns) == [c.name for c in table.columns]
        assert len(df) > 0
    events = data.load("foreign_agents_events")
    assert str(events["date"].dtype) == "datetime64[us]"
    assert str(events["count"].dtype) == "Int64"


def test_negative_count_is_named_by_file_column_and_row(sandbox):
    _edit(sandbox / "processed" / "uk_applications.csv", 6, "applications", "-5")
    problems = data.check_table("uk_applications")
    assert [(p.column, p.row) for p in problems] == [("applications", 8)]
    with pytest.raises(data.DataError, match=r"uk_applications\.csv: column 'applications', row 8"):
        data.load("uk_applications")


def test_non_numeric_cell_and_rate_above_one_are_caught(sandbox):
    path = sandbox / "processed" / "uk_grant_rates.csv"
    _edit(path, 0, "grants", "many")
    _edit(path, 1, "grant_rate", "1.5")
    problems = data.check_table("uk_grant_rates")
    assert ("grants", 2) in [(p.column, p.row) for p in problems]
    assert "'many' is not an integer" in str(problems[0])
    _edit(path, 0, "grants", "9819")
    problems = data.check_table("uk_grant_rates")
    assert [(p.column, p.row) for p in problems] == [("grant_rate", 3)]


def test_missing_column_is_named(sandbox):
    path = sandbox / "processed" / "press_figures.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns="concept").to_csv(
        path, index=False, lineterminator="\n"
    )
    with pytest.raises(
        data.DataError, match=r"press_figures\.csv: column 'concept': column missing"
    ):
        data.load("press_figures")


def test_missing_processed_file_says_how_to_rebuild(sandbox):
    (sandbox / "processed" / "eurostat_ru_citizens.csv").unlink()
    with pytest.raises(data.DataError, match=r"eurostat_ru_citizens\.csv.*exile-report data"):
        data.load("eurostat_ru_citizens")


TIMELINE_ROW = {
    "event_id": "T001",
    "date": "1922-09-29",
    "date_precision": "day",
    "end_date": "",
    "wave": "revolution-white",
    "category": "expulsion",
    "title": "Philosophers' ships",
    "description": "Intellectuals are deported abroad.",
    "as_published": "",
    "citation_key": "known_2024_key",
    "grade": "A",
}


def test_unknown_citation_key_in_curated_table_is_named(sandbox):
    rows = [
        TIMELINE_ROW,
        TIMELINE_ROW | {"event_id": "T002", "citation_key": "known_2024_key; nope_1999_x"},
    ]
    pd.DataFrame(rows).to_csv(
        sandbox / "curated" / "timeline.csv", index=False, lineterminator="\n"
    )
    problems = data.check_table("timeline")
    assert [(p.column, p.row) for p in problems] == [("citation_key", 3)]
    assert "nope_1999_x" in str(problems[0])


def test_curated_rules_dates_in_order_and_unique_ids(sandbox):
    rows = [TIMELINE_ROW | {"end_date": "1900-01-01"}, TIMELINE_ROW | {"wave": "medieval"}]
    pd.DataFrame(rows).to_csv(
        sandbox / "curated" / "timeline.csv", index=False, lineterminator="\n"
    )
    found = {(p.column, p.row) for p in data.check_table("timeline")}
    assert ("wave", 3) in found  # code not allowed
    assert ("event_id", 2) in found and ("event_id", 3) in found  # duplicate id
    assert (None, 2) in found  # end_date before date
    rule = next(p for p in data.check_table("timeline") if p.column is None)
    assert "date is after end_date" in rule.message


def test_stale_datapackage_hash_is_reported(sandbox, monkeypatch):
    monkeypatch.setattr(paths, "DATA", sandbox)
    dp = sandbox / "datapackage.json"
    monkeypatch.setattr(paths, "DATAPACKAGE", dp)
    datapackage.write(dp)
    assert checks.datapackage_checks() == []
    _edit(sandbox / "processed" / "countries_110m.csv", 0, "name", "Afghanistan!")
    problems = checks.datapackage_checks()
    assert len(problems) == 1 and problems[0].file.endswith("countries_110m.csv")
    assert "hash differs" in problems[0].message


def test_committed_datapackage_is_in_sync():
    committed = (ROOT / "data" / "datapackage.json").read_text(encoding="utf-8")
    assert committed == datapackage.text(), (
        "data/datapackage.json is stale: run `python -m exile_report.datapackage`"
    )


def test_register_is_complete_and_cited():
    register = load_register()
    # every processed table is written by exactly one registered source
    outputs = [o for s in register for o in s["outputs"]]
    assert sorted(outputs) == sorted(
        p.name for p in (ROOT / "data" / "processed").iterdir() if p.is_file()
    )
    if RAW is not None:  # and every raw snapshot folder is registered
        assert {s["id"] for s in register} == {p.name for p in RAW.iterdir() if p.is_dir()}
    keys = schemas.bib_keys()
    for source in register:
        assert all(k in keys for k in source["citation_key"].split(";")), source["id"]
        for output in source["outputs"]:
            assert (ROOT / "data" / "processed" / output).is_file(), output


def test_appendix_has_a_section_per_source_and_no_html():
    text = f"{source_sections()}\n{curated_table()}\n{conflicts_table()}"
    for source in load_register():
        # register values are data: escaped for Markdown, so they render as written
        assert f"### {markdown_text(source['title'])}" in text
        assert markdown_text(source["licence"]["name"]) in text
    assert "Crimea" in text
    assert "<table" not in text and "<div" not in text
