"""Loading API for chapters: ``load(name)`` reads a processed or curated table by name.

Chapters call this many times, so tables are parsed and validated once per process and
cached (keyed on the file's modification time). Every problem surfaces as ``DataError``
naming the file, the column and the row, so a reader of a failed build knows where to look.
Rows are counted as in a spreadsheet: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd


class DataError(Exception):
    """A data file is missing, malformed or fails its schema or checksum."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one file."""

    file: str
    column: str | None
    row: int | None  # spreadsheet row: header = 1
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.column:
            where += f": column {self.column!r}"
        if self.row is not None:
            where += f", row {self.row}"
        return f"{where}: {self.message}"


def _rel(path: Path) -> str:
    from exile_report import paths

    try:
        return str(path.relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def _missing_file(path: Path) -> Problem:
    from exile_report import paths

    if paths.CURATED in path.parents:
        hint = "curated table missing; it is written by hand in data/curated/"
    else:
        hint = "file not found; run `exile-report data` to rebuild data/processed/"
    return Problem(_rel(path), None, None, hint)


def _parse(path: Path, table) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV as text, then convert column by column so a bad cell is reported by
    row and column instead of failing the whole read."""
    from exile_report.schemas import PANDAS_DTYPE

    file = _rel(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [Problem(file, None, None, f"cannot read as UTF-8 CSV: {exc}")]
    problems = [
        Problem(file, c.name, None, "column missing")
        for c in table.columns
        if c.name not in raw.columns
    ]
    if problems:
        return None, problems
    out = pd.DataFrame(index=raw.index)
    for name in raw.columns:
        col = next((c for c in table.columns if c.name == name), None)
        text = raw[name]
        kind = col.type if col else "string"
        if kind == "string":
            out[name] = text.astype("string")
            continue
        if kind == "date":
            values = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            what = "a YYYY-MM-DD date"
        elif kind == "boolean":
            values = text.map({"true": True, "false": False}).astype("boolean")
            what = "true or false"
        else:
            values = pd.to_numeric(text, errors="coerce")
            if kind == "integer":
                frac = values.notna() & (values != values.round())
                values = values.where(~frac)
            what = "an integer" if kind == "integer" else "a number"
        bad = text.notna() & values.isna()
        for i in list(bad[bad].index[:5]):
            problems.append(Problem(file, name, int(i) + 2, f"{text[i]!r} is not {what}"))
        out[name] = values.astype(PANDAS_DTYPE[kind])
    return out, problems


def _schema_problems(df: pd.DataFrame, table, file: str) -> list[Problem]:
    """Validate with pandera and turn its failure cases into Problems."""
    import pandera.pandas as pa

    from exile_report.schemas import schema

    rules = {c.name for c in schema(table.name).checks} | {
        c.error for c in schema(table.name).checks
    }
    try:
        schema(table.name).validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    problems, seen = [], set()
    for rec in cases.head(200).to_dict("records"):
        idx = rec.get("index")
        row = int(idx) + 2 if idx is not None and not pd.isna(idx) else None
        column = rec.get("column")
        column = None if column is None or pd.isna(column) else str(column)
        check = str(rec.get("check"))
        value = rec.get("failure_case")
        if check in rules:
            # a row-level rule (e.g. "date<=end_date"): pandera repeats it per column
            column, message = None, f"row breaks a rule: {check}"
        else:
            message = f"fails {check}: {value!r}"
        if (column, row, message) not in seen:
            seen.add((column, row, message))
            problems.append(Problem(file, column, row, message))
    return problems


def check_table(name: str) -> list[Problem]:
    """Every problem of one table (empty list if it is fine)."""
    from exile_report.schemas import TABLES

    if name not in TABLES:
        raise DataError(f"unknown table {name!r}; known: {', '.join(sorted(TABLES))}")
    table = TABLES[name]
    if not table.path.is_file():
        return [_missing_file(table.path)]
    df, problems = _parse(table.path, table)
    if df is None or problems:
        return problems
    return _schema_problems(df, table, _rel(table.path))


@cache
def _load(name: str, mtime_ns: int, bib_keys: frozenset) -> pd.DataFrame:
    from exile_report import paths
    from exile_report.fingerprint import table_key, validated_keys
    from exile_report.schemas import TABLES

    table = TABLES[name]
    df, problems = _parse(table.path, table)
    if (
        df is not None
        and not problems
        and (validated_keys(paths.ROOT).get(name) != table_key(table.path, paths.ROOT))
    ):
        # not these bytes under these schemas when the build last validated: validate now
        problems = _schema_problems(df, table, _rel(table.path))
    if problems:
        more = f"\n  (+{len(problems) - 10} more)" if len(problems) > 10 else ""
        raise DataError("\n  ".join(str(p) for p in problems[:10]) + more)
    return df


def load(name: str) -> pd.DataFrame:
    """A processed or curated table by name (file stem), typed and validated.

    Strings are pandas ``string``, counts nullable ``Int64``, dates ``datetime64[us]``
    (microseconds, so that dates before 1677 fit). Returns a copy: callers may modify it."""
    from exile_report.schemas import TABLES

    if name not in TABLES:
        raise DataError(f"unknown table {name!r}; known: {', '.join(sorted(TABLES))}")
    path = TABLES[name].path
    if not path.is_file():
        raise DataError(str(_missing_file(path)))
    from exile_report.schemas import bib_keys

    return _load(name, path.stat().st_mtime_ns, bib_keys()).copy()


def geojson(name: str = "countries_110m") -> dict:
    """A processed GeoJSON FeatureCollection (e.g. the country outlines for maps)."""
    from exile_report import paths

    path = paths.PROCESSED / f"{name}.geojson"
    if not path.is_file():
        raise DataError(str(_missing_file(path)))
    return json.loads(path.read_text(encoding="utf-8"))
