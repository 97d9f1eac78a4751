"""The data bundle describes itself: every field has a description (and a unit where it counts
something), one source with schemas.py; the descriptor names the edition; the README is for
readers and names only files the bundle holds; the bibliography and a licences note are inside."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from exile_report import datapackage, identity
from exile_report.publish import write_data_bundle
from exile_report.schemas import TABLES, split_keys

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    with zipfile.ZipFile(write_data_bundle(ROOT, out)) as zf:
        zf.extractall(out)
    return out / "exile-report-data"


def test_every_column_is_described_once_in_the_schemas():
    for table in TABLES.values():
        for col in table.columns:
            assert col.description.strip(), f"{table.name}.{col.name}: no description"
            if col.type == "integer" and (col.ge == 0) and col.name not in ("quarter",):
                assert col.unit, f"{table.name}.{col.name}: a count without a unit"
            if col.type == "number":
                assert col.unit, f"{table.name}.{col.name}: a number without a unit"


def test_descriptor_fields_come_from_the_schemas():
    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor == datapackage.build(), "datapackage.json is stale"
    fields = 0
    for res in descriptor["resources"]:
        table = TABLES.get(res["name"])
        for field in res.get("schema", {}).get("fields", []):
            fields += 1
            col = table.col(field["name"])
            assert field["description"] == col.description
            assert field.get("unit", "") == col.unit
    assert fields == sum(len(t.columns) for t in TABLES.values() if t.path.is_file())


def test_data_readme_column_reference_is_current():
    current = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert datapackage.readme_text(current) == current, (
        "data/README.md is stale: run `python -m exile_report.datapackage`"
    )
    for table in TABLES.values():
        assert f"`{table.folder}/{table.name}.csv`" in current


def test_bundle_descriptor_names_the_edition(bundle):
    descriptor = json.loads((bundle / "datapackage.json").read_text(encoding="utf-8"))
    ident = identity.load(ROOT)
    assert descriptor["version"] == ident.version
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00Z", descriptor["created"])
    assert descriptor["edition"]["date"] == ident.released
    assert descriptor["edition"]["commit"]
    for res in descriptor["resources"]:
        for field in res.get("schema", {}).get("fields", []):
            assert field["description"], (res["name"], field["name"])


def test_bundle_readme_names_only_files_it_holds_and_no_build_steps(bundle):
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w./-]+\.(?:csv|json|yml|bib|md|geojson))`", readme))
    assert {"datapackage.json", "references.bib", "LICENCES.md", "HOW-TO-CITE.md"} <= named
    held = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert named <= held, f"named but not in the bundle: {sorted(named - held)}"
    # every table of the bundle is named in its README
    assert {p for p in held if p.endswith(".csv")} <= named
    for developer_text in ("exile-report ", "python", "make ", "src/", "EXILE_", ".venv", "load("):
        assert developer_text not in readme, developer_text


def test_bundle_holds_bibliography_and_licences(bundle):
    bib = (bundle / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", bib))
    for table in TABLES.values():
        path = bundle / table.folder / f"{table.name}.csv"
        for col in table.columns:
            if col.citation:
                cited = pd.read_csv(path, dtype=str)[col.name].dropna()
                for value in cited:
                    missing = set(split_keys(value)) - keys
                    assert not missing, f"{table.name}.{col.name}: {missing} not in references.bib"
    how = (bundle / "HOW-TO-CITE.md").read_text(encoding="utf-8")
    assert "references.bib" in how and identity.load(ROOT).full_title in how
    licences = (bundle / "LICENCES.md").read_text(encoding="utf-8")
    descriptor = json.loads((bundle / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        assert f"`{res['path']}`" in licences, res["path"]


def test_figure_csvs_carry_no_float_noise():
    """Figure data as readers download it: whole numbers as integers, fractions to 4 decimals,
    other floats to 6 significant digits (the raw frame kept 3053.5999999999767)."""
    from exile_report.plotting import reader_table

    raw = pd.DataFrame(
        {
            "persons": [3053.5999999999767, 12.3456789, None],
            "rate": [0.3601303639326453, 0.25, None],
            "count": [42000.0, None, 3880679.0],
        }
    )
    text = reader_table(raw).to_csv(index=False, lineterminator="\n")
    assert text == "persons,rate,count\n3053.6,0.3601,42000\n12.3457,0.25,\n,,3880679\n"
