"""What the columns of a figure's CSV mean: a unit and a description per column, declared once
per figure (in ``figure_columns.yml``, by the figure's label, or passed to
``save_figure(..., columns=...)``).

:func:`exile_report.plotting.save_figure` checks the declaration against the figure's data and
writes it next to the CSV as a Frictionless Table Schema (``figures/<label>.schema.json``); the
data bundle lists each declared figure CSV as a resource with that schema
(:func:`figure_resources`). Columns copied from a data table take their meaning from
:mod:`exile_report.schemas` (:func:`from_table`), so it is stated once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

#: A column's (unit, description); the unit is "" for names, codes, dates and other non-counts.
Column = tuple[str, str]


#: The declarations (data, not code: a writer edits a description without touching Python).
COLUMNS_FILE = Path(__file__).with_name("figure_columns.yml")


def from_table(table: str, *names: str) -> dict[str, Column]:
    """The unit and description of columns of a data table, as its schema declares them."""
    from .schemas import TABLES

    cols = {c.name: c for c in TABLES[table].columns}
    return {n: (cols[n].unit, cols[n].description) for n in names}


def _figure(label: str, spec: dict) -> tuple[dict[str, str], dict[str, Column]]:
    """A figure's plain names and its columns under those names; a column declared twice (in
    ``from_tables`` and ``columns``) is refused rather than silently overridden."""
    plain = dict(spec.get("plain_names") or {})
    columns: dict[str, Column] = {}
    declared = [from_table(table, *names) for table, names in spec.get("from_tables") or ()]
    declared.append({n: (unit, text) for n, (unit, text) in (spec.get("columns") or {}).items()})
    for group in declared:
        twice = sorted(set(columns) & set(group))
        if twice:
            raise ValueError(f"{COLUMNS_FILE.name}: {label}: {', '.join(twice)} declared twice")
        columns |= group
    return plain, {plain.get(name, name): meaning for name, meaning in columns.items()}


def _load() -> tuple[dict[str, list[str]], dict[str, dict[str, str]], dict[str, dict[str, Column]]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(COLUMNS_FILE.read_text(encoding="utf-8"), Loader=loader)
    figures = {label: _figure(label, spec) for label, spec in doc["figures"].items()}
    plain = {label: names for label, (names, _) in figures.items() if names}
    return doc["column_groups"], plain, {label: cols for label, (_, cols) in figures.items()}


#: Named column lists other modules share (``column_groups`` in the file).
#: PLAIN_NAMES: column names of a figure's data a reader would not understand -> the plain name
#: its CSV gives them. COLUMNS: the declarations by figure label, under the CSV's names.
COLUMN_GROUPS, PLAIN_NAMES, COLUMNS = _load()


def plain_frame(label: str, data: pd.DataFrame) -> pd.DataFrame:
    """The figure's data with its columns under the names a reader downloads (the chart and the
    data tables keep their own names)."""
    return data.rename(columns=PLAIN_NAMES.get(label, {}))


def check(label: str, data: pd.DataFrame, columns: dict[str, Column]) -> None:
    """Refuse a declaration that does not name exactly the figure's columns."""
    have, declared = list(data.columns), list(columns)
    if set(have) != set(declared):
        missing = [c for c in have if c not in columns]
        extra = [c for c in declared if c not in have]
        raise ValueError(
            f"{label}: columns of the figure's data and its declaration differ "
            f"(undeclared: {', '.join(map(str, missing)) or 'none'}; "
            f"declared but absent: {', '.join(extra) or 'none'})"
        )


def _type(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col):
        return "boolean"
    if pd.api.types.is_integer_dtype(col):
        return "integer"
    if pd.api.types.is_float_dtype(col):
        return "number"
    return "string"  # dates, codes and text: read as written


def table_schema(data: pd.DataFrame, columns: dict[str, Column]) -> dict:
    """A Frictionless Table Schema of the CSV written from ``data`` (as ``reader_table`` wrote
    it), with each column's unit (a custom property) and description."""
    fields = []
    for name in data.columns:
        unit, description = columns[name]
        field = {"name": str(name), "type": _type(data[name]), "description": description}
        if unit:
            field["unit"] = unit
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def schema_path(csv: Path) -> Path:
    return csv.with_name(csv.stem + ".schema.json")


def write_schema(csv: Path, data: pd.DataFrame, columns: dict[str, Column]) -> Path:
    path = schema_path(csv)
    text = json.dumps(table_schema(data, columns), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def figure_resources(figures: Path) -> list[tuple[Path, dict]]:
    """Each figure CSV in ``figures`` that has a declared schema, with its Frictionless
    resource (path relative to the bundle: ``figures/<label>.csv``)."""
    from .fingerprint import sha256_file

    out = []
    for csv in sorted(figures.glob("fig-*.csv")):
        schema = schema_path(csv)
        if not schema.is_file():
            continue
        out.append(
            (
                csv,
                {
                    "name": csv.stem,
                    "path": f"figures/{csv.name}",
                    "title": f"Data of {csv.stem}, as drawn",
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "hash": f"sha256:{sha256_file(csv)}",
                    "bytes": csv.stat().st_size,
                    "schema": json.loads(schema.read_text(encoding="utf-8")),
                },
            )
        )
    return out
