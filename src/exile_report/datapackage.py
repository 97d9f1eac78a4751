"""``data/datapackage.json``: a Frictionless descriptor of every processed and curated
table, generated from the schemas (fields with their descriptions and units, constraints,
primary keys) and the source register (licences, sources), with each file's sha256, so it never
drifts from the data; and the column reference of ``data/README.md``, from the same schemas."""

from __future__ import annotations

import json
import os
from pathlib import Path

from exile_report import paths
from exile_report.fingerprint import sha256_file
from exile_report.schemas import TABLES, Col, Table
from exile_report.sources import load_register

CURATED_LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 (the report's own compilation)",
}


def _field(col: Col) -> dict:
    field = {"name": col.name, "type": col.type, "description": col.description}
    if col.unit:
        field["unit"] = col.unit  # a custom property: Table Schema has none for units
    cons: dict = {}
    if col.required:
        cons["required"] = True
    if col.allowed is not None:
        cons["enum"] = list(col.allowed)
    if col.pattern and col.type == "string":
        # Frictionless patterns match the whole cell; ours are anchored at the start only
        # unless they end with "$".
        body = col.pattern.removeprefix("^")
        cons["pattern"] = body.removesuffix("$") if body.endswith("$") else body + ".*"
    if col.ge is not None and col.type in ("integer", "number"):
        cons["minimum"] = int(col.ge) if col.type == "integer" else col.ge
    if col.le is not None and col.type in ("integer", "number"):
        cons["maximum"] = int(col.le) if col.type == "integer" else col.le
    if col.max_len:
        cons["maxLength"] = col.max_len
    if cons:
        field["constraints"] = cons
    return field


def _file_meta(path: Path) -> dict:
    return {"hash": f"sha256:{sha256_file(path)}", "bytes": path.stat().st_size}


def _source_of(filename: str, register: list[dict]) -> dict | None:
    return next((s for s in register if filename in s.get("outputs", [])), None)


def _licences(source: dict | None) -> list[dict]:
    if source is None:
        return [CURATED_LICENCE]
    lic = {"title": source["licence"]["name"]}
    if source["licence"].get("url"):
        lic["path"] = source["licence"]["url"]
    else:
        lic["name"] = "other"
    return [lic]


def _sources(source: dict | None) -> list[dict]:
    if source is None:
        return [
            {
                "title": "Compiled by the report team from the sources cited in each row "
                "(column citation_key; see references.bib)"
            }
        ]
    return [{"title": f"{source['producer']}: {source['title']}", "path": source["url_main"]}]


def _resource(table: Table, register: list[dict]) -> dict:
    path = table.path
    source = _source_of(path.name, register)
    schema = {"fields": [_field(c) for c in table.columns], "missingValues": [""]}
    if table.key:
        schema["primaryKey"] = list(table.key)
    return {
        "name": table.name,
        "path": str(path.relative_to(paths.DATA)),
        "title": table.description or table.name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        **_file_meta(path),
        "licenses": _licences(source),
        "sources": _sources(source),
        "schema": schema,
    }


def build() -> dict:
    """The descriptor as a dict (tables whose file does not exist yet are left out)."""
    register = load_register()
    resources = [_resource(t, register) for t in TABLES.values() if t.path.is_file()]
    geo = paths.PROCESSED / "countries_110m.geojson"
    if geo.is_file():
        source = _source_of(geo.name, register)
        resources.append(
            {
                "name": "countries_110m_geojson",
                "path": str(geo.relative_to(paths.DATA)),
                "title": "Natural Earth 1:110m country outlines (ISO3 fixed; Crimea inside RUS)",
                "format": "geojson",
                "mediatype": "application/geo+json",
                "encoding": "utf-8",
                **_file_meta(geo),
                "licenses": _licences(source),
                "sources": _sources(source),
            }
        )
    return {
        "name": "exile-report-data",
        "title": "Data of the reference report on political exile from Russia",
        "profile": "data-package",
        "licenses": [CURATED_LICENCE],
        "resources": resources,
    }


def text() -> str:
    """The descriptor as the exact text written to disk."""
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def for_bundle(descriptor: dict, edition: dict) -> str:
    """The descriptor as the data bundle carries it: the repository's, plus the edition it was
    published with (``edition``: version, release date, build date, commit, variant label;
    see :func:`exile_report.publish.edition`) and the bundle's own files."""
    out = dict(descriptor)
    out["version"] = edition["release"]
    out["created"] = f"{edition['built']}T00:00:00Z"
    out["edition"] = {
        k: edition[k]
        for k in ("release", "version", "date", "built", "commit", "variant")
        if k in edition
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def tables_markdown(heading: str = "##") -> str:
    """Every table of the schemas, its key and its columns (type, unit, meaning), as Markdown:
    the column reference of ``data/README.md`` and of the data bundle's README."""
    out = []
    for folder in ("processed", "curated"):
        out += [f"{heading} Tables in `{folder}/`", ""]
        for table in TABLES.values():
            if table.folder != folder:
                continue
            out.append(f"**`{folder}/{table.name}.csv`**: {table.description}.")
            if table.key:
                out.append(f"Key: {', '.join(f'`{k}`' for k in table.key)}.")
            out += ["", "| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
            for col in table.columns:
                kind = col.type + ("" if col.required else ", may be empty")
                if col.allowed:
                    kind += "; one of " + ", ".join(f"`{a}`" for a in col.allowed)
                out.append(
                    f"| `{col.name}` | {_cell(kind)} | {_cell(col.unit)} | {_cell(col.description)} |"
                )
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


README_BEGIN = "<!-- BEGIN tables: generated from src/exile_report/schemas.py -->"
README_END = "<!-- END tables -->"


def readme_text(current: str) -> str:
    """``data/README.md`` with its generated part (between the markers) rewritten."""
    if README_BEGIN not in current or README_END not in current:
        raise ValueError(
            f"data/README.md: the markers {README_BEGIN!r} / {README_END!r} are missing"
        )
    head, rest = current.split(README_BEGIN, 1)
    _old, tail = rest.split(README_END, 1)
    note = (
        "\n<!-- Do not edit between these markers: `python -m exile_report.datapackage` "
        "rewrites it. -->\n\n"
    )
    return head + README_BEGIN + note + tables_markdown("###") + "\n" + README_END + tail


def write(path: Path | None = None) -> Path:
    """Regenerate ``data/datapackage.json`` after checking every table against its schema.

    The hashes it records therefore mark validated bytes: ``data.load`` trusts a file whose hash
    matches and validates any other.
    """
    from exile_report.data import DataError, check_table
    from exile_report.schemas import TABLES

    problems = [
        p for name, table in TABLES.items() if table.path.is_file() for p in check_table(name)
    ]
    if problems:
        lines = "\n  ".join(str(p) for p in problems[:20])
        raise DataError(f"datapackage.json not written: the tables fail their schemas:\n  {lines}")
    path = Path(path) if path else paths.DATAPACKAGE
    readme = path.parent / "README.md"
    if readme.is_file():
        current = readme.read_text(encoding="utf-8")
        new = readme_text(current)
        if new != current:
            readme.write_text(new, encoding="utf-8")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text())
        os.replace(tmp, path)  # readers see the old descriptor or the new one, never half of one
    finally:
        tmp.unlink(missing_ok=True)
    return path


def regenerate(raw_dir: Path) -> list[Path]:
    """``exile-report data``: rebuild ``data/processed/`` from the raw snapshots, atomically.

    Holds the checkout's build lock (a build never reads half-written data), writes the tables
    into a sibling folder, swaps it in with two renames and then writes the descriptor; if the
    new tables fail their schemas the previous folder is put back and nothing has changed."""
    import shutil

    from exile_report.build import build_lock
    from exile_report.processing import run_all

    target = paths.PROCESSED
    new = target.with_name(f".processed.new-{os.getpid()}")
    old = target.with_name(f".processed.old-{os.getpid()}")
    with build_lock(paths.ROOT, log=lambda *_: None):
        for leftover in target.parent.glob(".processed.*"):
            shutil.rmtree(leftover, ignore_errors=True)
        try:
            new.mkdir()
            written = run_all(raw_dir, new)
            if target.exists():
                os.replace(target, old)
            os.replace(new, target)
            try:
                descriptor = write()
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                if old.exists():
                    os.replace(old, target)
                raise
        finally:
            shutil.rmtree(new, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    return [target / p.name for p in written] + [descriptor]


def main() -> int:
    """``python -m exile_report.datapackage``: rewrite the descriptor after editing a table."""
    from exile_report.data import DataError
    from exile_report.writer_cli import run_writer

    return run_writer(write, (DataError, OSError))


if __name__ == "__main__":  # after editing a curated table: python -m exile_report.datapackage
    raise SystemExit(main())
