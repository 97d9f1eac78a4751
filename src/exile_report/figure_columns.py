"""What the columns of a figure's CSV mean: a unit and a description per column, declared once
per figure (here, by the figure's label, or passed to ``save_figure(..., columns=...)``).

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

#: A column's (unit, description); the unit is "" for names, codes, dates and other non-counts.
Column = tuple[str, str]


def from_table(table: str, *names: str) -> dict[str, Column]:
    """The unit and description of columns of a data table, as its schema declares them."""
    from .schemas import TABLES

    cols = {c.name: c for c in TABLES[table].columns}
    return {n: (cols[n].unit, cols[n].description) for n in names}


#: Declarations by figure label.
COLUMNS: dict[str, dict[str, Column]] = {
    "fig-scale-ladder": from_table(
        "estimates",
        "estimate_id",
        "estimator",
        "period_end",
        "concept",
        "unit",
        "low",
        "central",
        "high",
        "citation_key",
    ),
    "fig-scale-hosts": {
        **from_table(
            "estimates",
            "geography",
            "estimate_id",
            "estimator",
            "period_end",
            "concept",
            "unit",
            "low",
            "central",
            "high",
        ),
        "value": (
            "see unit",
            "Where the chart draws the figure: the central value, or the middle of the range",
        ),
        "used_in_estimate": ("", "Whether our estimate of people still abroad uses this figure"),
        **from_table("estimates", "citation_key"),
    },
    "fig-scale-permits": {
        "geo_iso3": ("", "Country issuing the permits (ISO 3166-1 alpha-3)"),
        "geo_name": ("", "Country issuing the permits"),
        "year": ("year", "Calendar year of issue"),
        "value": ("permits", "First residence permits issued to Russian citizens in the year"),
    },
    "fig-scale-sensitivity": {
        "assumption": ("", "The choice changed, one at a time (the chart's row label)"),
        "phrase": ("", "The same choice in words, as the text names it"),
        "low_total": (
            "persons",
            "Central sum of people still abroad with the choice at its low end",
        ),
        "high_total": ("persons", "Central sum with the choice at its high end"),
        "low_case": ("", "The figure (register id) or date at the low end"),
        "high_case": ("", "The figure (register id) or date at the high end"),
        "base": ("persons", "Central sum with the default choices"),
        "swing": ("persons", "high_total minus low_total"),
    },
    "fig-scale-asylum": {
        "year": ("year", "Calendar year the applications were lodged"),
        "persons": ("persons", "New asylum applications by Russian citizens, counted in persons"),
        "cases": (
            "cases",
            "New asylum applications by Russian citizens reported in cases "
            + "(a case may hold several persons; never added to persons)",
        ),
    },
}


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
