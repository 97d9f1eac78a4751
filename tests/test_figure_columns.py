"""Per-figure CSVs (#19): the columns readers download are the figure's data, each with a unit
and a description declared once, written as a Table Schema the data bundle carries."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from exile_report import figure_columns, plotting
from exile_report.analysis import scale


def _save(label, data, **kw):
    fig, _ax = plotting.new_figure(height=2)
    plotting.save_figure(fig, label, data=data, source="Source: test", display=False, **kw)
    return plotting.FIGURES / f"{label}.csv"


def test_ladder_data_has_no_internal_duplicate_columns():
    reg = scale.register(scale.load_estimates(), "2025-12-31")
    ladder = scale.ladder_data(reg)
    assert not {"lo", "mid", "hi"} & set(ladder.columns)
    assert set(ladder.columns) == set(figure_columns.COLUMNS["fig-scale-ladder"])
    marks = scale.ladder_marks(ladder)
    assert (marks["lo"] <= marks["mid"]).all() and (marks["mid"] <= marks["hi"]).all()


def test_declared_columns_are_written_as_a_schema_with_units():
    data = pd.DataFrame({"year": [2022, 2023], "persons": [1.0, 2.5]})
    cols = {"year": ("year", "Calendar year"), "persons": ("persons", "People counted")}
    csv = _save("fig-test-declared", data, columns=cols)
    schema = json.loads(figure_columns.schema_path(csv).read_text(encoding="utf-8"))
    assert schema["fields"] == [
        {"name": "year", "type": "integer", "description": "Calendar year", "unit": "year"},
        {"name": "persons", "type": "number", "description": "People counted", "unit": "persons"},
    ]
    assert figure_columns.figure_resources(csv.parent)[0][1]["path"] == f"figures/{csv.name}"


def test_a_declaration_that_misses_a_column_is_refused():
    data = pd.DataFrame({"year": [2022], "persons": [1], "lo": [0]})
    with pytest.raises(ValueError, match="fig-test-bad: .*undeclared: lo"):
        _save("fig-test-bad", data, columns={"year": ("", "Year"), "persons": ("", "People")})


def test_an_undeclared_figure_leaves_no_stale_schema():
    data = pd.DataFrame({"year": [2022]})
    csv = _save("fig-test-late", data, columns={"year": ("year", "Year")})
    assert figure_columns.schema_path(csv).is_file()
    _save("fig-test-late", data)
    assert not figure_columns.schema_path(csv).exists()
