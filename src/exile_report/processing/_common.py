"""Helpers shared by the per-source processing modules.

The processed CSVs are committed and must be reproduced byte for byte by a re-run, so the
writer fixes everything that could vary: row order (sorted by the key), column order,
``\\n`` line ends, integers without a decimal point, floats with Python's shortest
round-trip ``repr``, and empty cells for missing values.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from exile_report.data import DataError


def read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """Read a raw CSV without pandas' NA guessing: only an empty cell is missing.

    (UNHCR uses the code ``NA`` for an application type; default parsing would erase it.)"""
    if not path.is_file():
        raise DataError(f"{path}: raw file missing")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)


def _cell(value) -> str:
    """One CSV cell as text: the single place where number formatting is decided."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        return repr(float(value))
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv_text(df: pd.DataFrame, key: list[str]) -> str:
    """Render a table as deterministic CSV text, rows sorted by ``key``."""
    missing = [k for k in key if k not in df.columns]
    if missing:
        raise DataError(f"sort key columns {missing} not in table columns {list(df.columns)}")
    if df.duplicated(key).any():
        dup = df[df.duplicated(key, keep=False)].head(4)
        raise DataError(f"duplicate key {key} in rows:\n{dup}")
    ordered = df.sort_values(key, kind="mergesort", na_position="first").reset_index(drop=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(ordered.columns))
    for row in ordered.itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with ``\\n`` line ends, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write each ``name -> frame`` as ``out_dir/name.csv``, rows in the order of the table's
    key as declared in :mod:`exile_report.schemas`; return the paths."""
    from exile_report.schemas import TABLES

    return [
        write_text(Path(out_dir) / f"{name}.csv", to_csv_text(frame, list(TABLES[name].key)))
        for name, frame in sorted(tables.items())
    ]


def map_codes(series: pd.Series, mapping: dict, what: str, file: str) -> pd.Series:
    """Map labels to codes, failing loudly (file, row, value) on a label we do not know,
    so a new category in a future snapshot cannot silently disappear."""
    unknown = ~series.isin(list(mapping))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(f"{file}: row {i + 2}: unknown {what} {series.iloc[i]!r}")
    return series.map(mapping)


def read_json_list(
    path: Path,
    fields: list[str],
    optional: tuple[str, ...] = ("dateOut",),
    date_fields: tuple[str, ...] = ("dateIn", "dateOut"),
) -> pd.DataFrame:
    """Read a JSON list of objects, keeping only ``fields``; dates written ``dd.mm.yyyy`` become
    timestamps (NaT where an optional field is absent). A missing field or a bad date fails
    naming the file, the entry (1-based) and the field."""
    if not path.is_file():
        raise DataError(f"{path}: raw file missing")
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise DataError(f"{path}: expected a JSON list of entries")
    rows = []
    for i, entry in enumerate(entries, start=1):
        row = {}
        for field in fields:
            value = entry.get(field)
            if value in (None, "") and field not in optional:
                raise DataError(f"{path.name}: entry {i}: field {field!r} missing")
            if field in date_fields and value not in (None, ""):
                try:
                    value = datetime.strptime(value, "%d.%m.%Y")
                except (TypeError, ValueError):
                    raise DataError(
                        f"{path.name}: entry {i}: field {field!r}: not a dd.mm.yyyy date: {value!r}"
                    ) from None
            row[field] = value
        rows.append(row)
    df = pd.DataFrame(rows, columns=fields)
    for field in fields:
        if field in date_fields:
            df[field] = pd.to_datetime(df[field])
    return df


def snapshot_date(source_id: str) -> pd.Timestamp:
    """The day up to which a source's data run (``period_end`` in ``data/sources.yml``)."""
    from exile_report.sources import load_register

    source = next((s for s in load_register() if s["id"] == source_id), None)
    if source is None or not source.get("period_end"):
        raise DataError(f"data/sources.yml: source {source_id}: field 'period_end' missing")
    return pd.Timestamp(source["period_end"])


def per_year(
    events: pd.DataFrame, first_year: int, snapshot: pd.Timestamp, column: str
) -> pd.DataFrame:
    """Sum ``count`` of dated events per calendar year from ``first_year`` to the snapshot's
    year (zeros where none). ``period_end`` is the last day each year is covered: 31 December,
    or the snapshot day in its own year, which is then ``partial_year``. An event after the
    snapshot day means the register's date is wrong, and fails."""
    late = events[events["date"] > snapshot]
    if len(late):
        raise DataError(
            f"event dated {late['date'].max():%Y-%m-%d} is after the snapshot date "
            f"{snapshot:%Y-%m-%d} recorded in data/sources.yml (period_end)"
        )
    years = list(range(first_year, snapshot.year + 1))
    counts = events.groupby(events["date"].dt.year)["count"].sum()
    ends = [min(pd.Timestamp(year=y, month=12, day=31), snapshot) for y in years]
    return pd.DataFrame(
        {
            "year": pd.Series(years, dtype="int64"),
            column: counts.reindex(years, fill_value=0).astype("int64").to_numpy(),
            "period_end": pd.to_datetime(ends),
            "partial_year": [e < pd.Timestamp(year=e.year, month=12, day=31) for e in ends],
        }
    )
