"""Per-figure CSVs (#19): the columns readers download are the figure's data, each with a unit
and a description declared once, written as a Table Schema the data bundle carries."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from exile_report import figure_columns, plotting
from exile_report.analysis import scale

ROOT = Path(__file__).resolve().parents[1]


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
    # the session's figure folder also holds figures other tests drew: find this one's resource
    paths = [res["path"] for _file, res in figure_columns.figure_resources(csv.parent)]
    assert f"figures/{csv.name}" in paths


def test_a_declaration_that_misses_a_column_is_refused():
    data = pd.DataFrame({"year": [2022], "persons": [1], "lo": [0]})
    with pytest.raises(ValueError, match="fig-test-bad: .*undeclared: lo"):
        _save("fig-test-bad", data, columns={"year": ("", "Year"), "persons": ("", "People")})


def test_an_undeclared_figure_is_refused_before_anything_is_written():
    data = pd.DataFrame({"year": [2022]})
    with pytest.raises(ValueError, match=r"^fig-test-undeclared: its CSV columns are not declared"):
        _save("fig-test-undeclared", data)
    assert not (plotting.FIGURES / "fig-test-undeclared.png").exists()


def _book_figure_labels() -> set[str]:
    """Labels of the figures the chapters save (``save_figure(fig, "fig-…"`` or the cell's
    ``#| label: fig-…`` where the call names it through a variable)."""
    labels = set()
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and "save_figure(" in src:
                labels |= set(re.findall(r"#\| label: (fig-[\w-]+)", src))
    return labels


def test_every_figure_of_the_book_is_declared():
    labels = _book_figure_labels()
    assert len(labels) >= 20  # chapters 1-4
    assert labels <= set(figure_columns.COLUMNS), labels - set(figure_columns.COLUMNS)
    for label, cols in figure_columns.COLUMNS.items():
        for name, (_unit, description) in cols.items():
            assert description.strip(), f"{label}.{name}"


def test_csv_columns_get_plain_names_and_the_chart_data_keeps_its_own():
    data = pd.DataFrame(
        {"geo_iso3": ["DEU"], "geo_name": ["Germany"], "year": [2022], "value": [6840.0]}
    )
    csv = _save("fig-scale-permits", data)
    assert csv.read_text(encoding="utf-8").splitlines() == [
        "country_code,country,year,first_permits",
        "DEU,Germany,2022,6840",
    ]
    assert list(data.columns) == ["geo_iso3", "geo_name", "year", "value"]
    schema = json.loads(figure_columns.schema_path(csv).read_text(encoding="utf-8"))
    assert [f["name"] for f in schema["fields"]] == [
        "country_code",
        "country",
        "year",
        "first_permits",
    ]


def test_every_plain_name_is_declared():
    for label, plain in figure_columns.PLAIN_NAMES.items():
        assert set(plain.values()) <= set(figure_columns.COLUMNS[label]), label


#: Internal names a reader would not understand: they must not reach a downloaded CSV.
INTERNAL = re.compile(r"(_iso3$|^dec_|unsplit|_partial$|^partial$|^geo_|^lo$|^mid$|^hi$)")


def test_every_figure_csv_of_a_built_book_is_declared_and_in_the_bundle(built_repo):
    figures = built_repo / "figures"
    csvs = sorted(figures.glob("fig-*.csv"))
    assert {c.stem for c in csvs} == _book_figure_labels()
    with zipfile.ZipFile(built_repo / "_book" / "exile-report-data.zip") as zf:
        descriptor = json.loads(zf.read("exile-report-data/datapackage.json"))
    in_bundle = {r["path"]: r for r in descriptor["resources"]}
    for csv in csvs:
        schema = json.loads(figure_columns.schema_path(csv).read_text(encoding="utf-8"))
        header = csv.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert [f["name"] for f in schema["fields"]] == header, csv.name
        assert not [h for h in header if INTERNAL.search(h)], csv.name
        assert in_bundle[f"figures/{csv.name}"]["schema"] == schema, csv.name


def test_a_column_declared_both_from_a_table_and_by_hand_is_refused():
    spec = {
        "from_tables": [["estimates", ["citation_key"]]],
        "columns": {"citation_key": ["", "x"]},
    }
    with pytest.raises(ValueError, match=r"fig-x: citation_key declared twice"):
        figure_columns._figure("fig-x", spec)


def test_the_scale_chart_columns_are_declared_once_with_the_figures():
    assert scale.FIGURE_COLUMNS is figure_columns.COLUMN_GROUPS["estimate_figure"]
    assert set(scale.FIGURE_COLUMNS) < set(figure_columns.COLUMNS["fig-scale-ladder"])


def test_the_declarations_ship_with_the_package_and_count_in_the_fingerprint():
    from exile_report import fingerprint

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"{figure_columns.COLUMNS_FILE.name}"' in pyproject
    assert figure_columns.COLUMNS_FILE.name in fingerprint.PACKAGE_DATA
