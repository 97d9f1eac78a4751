"""Column contracts of every processed and curated table, and their pandera schemas.

The tables are declared in ``tables.yml`` (data, not code: a writer edits a description or an
allowed value there); this module reads it into ``Table`` and ``Col`` objects. One ``Table``
drives three things, so they cannot drift apart: the dtypes ``data.load`` reads with, the
pandera schema it validates with, and the Frictionless fields of ``data/datapackage.json``. Checks encode what a wrong number would look like: negative
counts, rates outside [0, 1], implausible years, unknown codes, duplicate keys, dates out of
order, citation keys missing from the bibliography.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from exile_report import paths
from exile_report.data import DataError

if TYPE_CHECKING:
    import pandera.pandas as pa


def _pandera():
    """pandera, imported when a schema is first built: notebooks that load hash-verified
    tables never pay for importing it."""
    import pandera.pandas as pa

    return pa


# ---------------------------------------------------------------- column and table contracts

PANDAS_DTYPE = {
    "string": "string",
    "integer": "Int64",
    "number": "float64",
    "date": "datetime64[us]",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Col:
    """One column: Frictionless type, whether it may be empty, allowed values, bounds, and what
    it means (``description``, ``unit``): the one source of every column's documentation."""

    name: str
    type: str = "string"
    required: bool = True
    allowed: tuple | None = None
    pattern: str | None = None
    ge: float | None = None
    le: float | None = None
    max_len: int | None = None
    citation: bool = False  # holds ';'-separated bibliography keys
    description: str = ""  # what a value means (the data bundle and data/README.md print it)
    unit: str = ""  # what a number counts, where it counts something

    def checks(self) -> list[pa.Check]:
        pa = _pandera()
        out = []
        if self.allowed is not None:
            out.append(pa.Check.isin(list(self.allowed)))
        if self.pattern:
            out.append(pa.Check.str_matches(self.pattern))
        if self.ge is not None:
            out.append(pa.Check.ge(self.ge))
        if self.le is not None:
            out.append(pa.Check.le(self.le))
        if self.max_len:
            out.append(pa.Check.str_length(max_value=self.max_len))
        if self.citation:
            out.append(
                pa.Check(
                    _keys_known,
                    element_wise=True,
                    name="citation_key_in_bibliography",
                    error="citation key not found in the bibliography",
                )
            )
        return out


@dataclass(frozen=True)
class Table:
    """A table: where it lives, its columns, its primary key and its row-level rules."""

    name: str
    folder: str  # "processed" or "curated"
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    date_order: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs, when both set
    bounds_order: bool = False  # low <= central <= high
    strict: bool = True  # curated tables may carry extra *_precision columns

    @property
    def path(self) -> Path:
        return (
            paths.PROCESSED if self.folder == "processed" else paths.CURATED
        ) / f"{self.name}.csv"

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


# Date bounds are checked separately (pandera ge/le on datetimes wants Timestamps).
DATE_BOUNDS = (pd.Timestamp("1500-01-01"), pd.Timestamp("2035-12-31"))


# ---------------------------------------------------------------- the declarations (tables.yml)

#: Every table, its columns and rules: data a writer can edit, not code (its header says how).
TABLES_FILE = Path(__file__).with_name("tables.yml")


class DeclarationError(DataError):
    """A malformed declaration in tables.yml, said in one line: which table, which column, what."""


_SECTIONS = ("vocabularies", "patterns", "templates", "columns", "processed", "curated")
_TABLE_FIELDS = {
    "description": str,
    "key": list,
    "date_order": list,
    "bounds_order": bool,
    "strict": bool,
    "columns": list,
}
_COL_FIELDS = {
    "name": str,
    "type": str,
    "required": bool,
    "allowed": list,
    "pattern": str,
    "ge": (int, float),
    "le": (int, float),
    "max_len": int,
    "citation": bool,
    "description": str,
    "unit": str,
}


_KIND = {str: "a text", list: "a list", bool: "true or false", int: "a whole number"}


def _spliced(items: list) -> list:
    """A list inside a list stands for its items (a group of columns, a vocabulary)."""
    out = []
    for item in items:
        out.extend(_spliced(item) if isinstance(item, list) else [item])
    return out


def _fields(spec, allowed: dict, where: str) -> dict:
    """``spec`` checked against the ``allowed`` fields and their types; a description is required."""
    if not isinstance(spec, dict):
        raise DeclarationError(f"{where}: expected a mapping of fields, found {spec!r}")
    for field, value in spec.items():
        if field not in allowed:
            raise DeclarationError(f"{where}: unknown key {field!r} (known: {', '.join(allowed)})")
        if not isinstance(value, allowed[field]):
            kind = _KIND.get(allowed[field], "a number")
            raise DeclarationError(f"{where}: {field} must be {kind}, found {value!r}")
    if not str(spec.get("description") or "").strip():
        raise DeclarationError(f"{where}: no description")
    return spec


def _column(spec, table: str, source: str) -> Col:
    name = spec.get("name") if isinstance(spec, dict) else None
    where = f"{source}: table {table!r}, column {name!r}"
    if not isinstance(name, str) or not name:
        raise DeclarationError(f"{source}: table {table!r}: a column without a name: {spec!r}")
    spec = dict(_fields(spec, _COL_FIELDS, where))
    if spec.get("type", "string") not in PANDAS_DTYPE:
        raise DeclarationError(f"{where}: type {spec['type']!r} is not one of {list(PANDAS_DTYPE)}")
    if "allowed" in spec:
        spec["allowed"] = tuple(_spliced(spec["allowed"]))
    return Col(**spec)


def _table(name: str, folder: str, spec, source: str) -> Table:
    where = f"{source}: table {name!r}"
    spec = _fields(spec, _TABLE_FIELDS, where)
    columns = tuple(_column(c, name, source) for c in _spliced(spec.get("columns") or []))
    names = [c.name for c in columns]
    if not columns:
        raise DeclarationError(f"{where}: no columns")
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise DeclarationError(f"{where}, column {twice!r}: declared twice")
    pairs = [tuple(p) if isinstance(p, list) else p for p in spec.get("date_order", [])]
    if any(not isinstance(p, tuple) or len(p) != 2 for p in pairs):
        raise DeclarationError(f"{where}: date_order wants [earlier, later] pairs, found {pairs}")
    for used in (*spec.get("key", []), *(c for p in pairs for c in p)):
        if used not in names:
            raise DeclarationError(
                f"{where}, column {used!r}: named in key or date_order, not declared"
            )
    return Table(
        name,
        folder,
        columns,
        key=tuple(spec.get("key", ())),
        description=spec["description"],
        date_order=tuple(pairs),
        bounds_order=spec.get("bounds_order", False),
        strict=spec.get("strict", True),
    )


def read_declarations(text: str, source: str = TABLES_FILE.name) -> tuple[dict, list[Table]]:
    """The vocabularies (name -> tuple of values) and the tables declared in ``text``, in order;
    :class:`DeclarationError` names the table and column of the first malformed declaration."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader) or {}
    except yaml.YAMLError as exc:
        raise DeclarationError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(doc, dict):
        raise DeclarationError(f"{source}: expected the sections {', '.join(_SECTIONS)}")
    unknown = [s for s in doc if s not in _SECTIONS]
    if unknown:
        raise DeclarationError(
            f"{source}: unknown section {unknown[0]!r} (known: {', '.join(_SECTIONS)})"
        )
    vocabularies = doc.get("vocabularies") or {}
    for name, values in vocabularies.items():
        if not isinstance(values, list):
            raise DeclarationError(f"{source}: vocabulary {name!r} must be a list")
    tables = [
        _table(name, folder, spec, source)
        for folder in ("processed", "curated")
        for name, spec in (doc.get(folder) or {}).items()
    ]
    return {k: tuple(v) for k, v in vocabularies.items()}, tables


def _shown(path: Path) -> str:
    """``path`` as a message names it: relative to the repository when it lies inside."""
    try:
        return path.relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(path)


_VOCABULARIES, _DECLARED = read_declarations(
    TABLES_FILE.read_text(encoding="utf-8"), _shown(TABLES_FILE)
)

ORIGINS: tuple[str, ...] = _VOCABULARIES["origins"]
#: Kinds of host-state measure in policies.csv (the host-state chapter's parameter choices too).
MEASURE_TYPES: tuple[str, ...] = _VOCABULARIES["measure_types"]
#: Categories of timeline.csv events (the history chapter's parameter choices too).
CATEGORIES: tuple[str, ...] = _VOCABULARIES["categories"]
WAVES: tuple[str, ...] = _VOCABULARIES["waves"]
PRECISION: tuple[str, ...] = _VOCABULARIES["precision"]

PROCESSED_TABLES = [t for t in _DECLARED if t.folder == "processed"]
CURATED_TABLES = [t for t in _DECLARED if t.folder == "curated"]
TABLES: dict[str, Table] = {t.name: t for t in PROCESSED_TABLES + CURATED_TABLES}


# ---------------------------------------------------------------- bibliography

_BIB_KEY = re.compile(r"@\w+\s*\{\s*([^,\s]+)\s*,")


def bib_files() -> list[Path]:
    """The bibliography every citation key must resolve in."""
    return [paths.REFERENCES_BIB] if paths.REFERENCES_BIB.is_file() else []


@lru_cache(maxsize=8)
def _keys_of(files_and_mtimes: tuple) -> frozenset:
    keys = set()
    for name, _mtime in files_and_mtimes:
        keys.update(_BIB_KEY.findall(Path(name).read_text(encoding="utf-8")))
    return frozenset(keys)


def bib_keys() -> frozenset:
    """All citation keys of the bibliography (re-read when a .bib file changes)."""
    return _keys_of(tuple((str(p), p.stat().st_mtime_ns) for p in bib_files()))


def split_keys(value) -> list[str]:
    """'a; b' -> ['a', 'b']."""
    return [k.strip() for k in str(value).split(";") if k.strip()]


def _keys_known(value) -> bool:
    if value is None or value is pd.NA:
        return True  # emptiness is the `required` check's business
    known = bib_keys()
    keys = split_keys(value)
    return bool(keys) and all(k in known for k in keys)


# ---------------------------------------------------------------- pandera


def _row_checks(table: Table) -> list[pa.Check]:
    pa = _pandera()
    checks = []
    for early, late in table.date_order:

        def ordered(df, early=early, late=late):
            return df[early].isna() | df[late].isna() | (df[early] <= df[late])

        checks.append(pa.Check(ordered, name=f"{early}<={late}", error=f"{early} is after {late}"))
    if table.bounds_order:

        def bounds(df):
            lo, mid, hi = df["low"], df["central"], df["high"]
            ok = (lo.isna() | mid.isna() | (lo <= mid)) & (mid.isna() | hi.isna() | (mid <= hi))
            return ok & (lo.isna() | hi.isna() | (lo <= hi))

        def one_set(df):
            return df[["low", "central", "high"]].notna().any(axis=1)

        checks.append(
            pa.Check(bounds, name="low<=central<=high", error="low, central, high out of order")
        )
        checks.append(
            pa.Check(
                one_set, name="one_of_low_central_high", error="none of low, central, high is set"
            )
        )
    if "unit" in {c.name for c in table.columns} and table.bounds_order:

        def share(df):
            is_share = df["unit"] == "share"
            return ~is_share | df[["low", "central", "high"]].le(1).where(
                df[["low", "central", "high"]].notna(), True
            ).all(axis=1)

        checks.append(pa.Check(share, name="share<=1", error="a share above 1"))
    return checks


def _date_bounds(series: pd.Series) -> pd.Series:
    lo, hi = DATE_BOUNDS
    return series.isna() | ((series >= lo) & (series <= hi))


@cache
def schema(name: str) -> pa.DataFrameSchema:
    """The pandera schema of a table."""
    pa = _pandera()
    table = TABLES[name]
    columns = {}
    for c in table.columns:
        checks = c.checks()
        if c.type == "date":
            checks.append(
                pa.Check(_date_bounds, name="date_in_1500_2035", error="date outside 1500-2035")
            )
        columns[c.name] = pa.Column(
            PANDAS_DTYPE[c.type], checks=checks, nullable=not c.required, required=True
        )
    return pa.DataFrameSchema(
        columns,
        checks=_row_checks(table),
        unique=list(table.key) if table.key else None,
        strict=table.strict,
        name=name,
    )
