"""Assembling one edition of the book in a staging folder: variables, render, data bundle.

The build calls :func:`render_into` with the executed chapters; the staging folder is swapped
into ``_book/`` by :func:`exile_report.build.publish` only when this returns without error.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

from . import __version__

VARIABLES = "_variables.yml"
DATA_BUNDLE = "exile-report-data.zip"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed member timestamps: the same inputs give the same bytes


def _as_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    return str(value)


def edition(date: str, commit: str) -> dict:
    return {"version": __version__, "date": date, "year": date[:4] if date[:4].isdigit() else date,
            "commit": commit}


def write_variables(root: Path, params: dict[str, dict], date: str, commit: str) -> dict:
    """Write ``_variables.yml`` (Quarto's own mechanism for ``{{< var … >}}``)."""
    from .findings import compute

    variables = {
        "edition": edition(date, commit),
        "params": {ch: {k: _as_text(v) for k, v in vals.items()} for ch, vals in params.items()},
        "findings": compute(),
    }
    text = ("# Written by the build (exile_report.publish); do not edit.\n"
            + yaml.safe_dump(variables, sort_keys=True, allow_unicode=True, width=1000))
    path = root / VARIABLES
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return variables


def write_data_bundle(root: Path, out: Path) -> Path:
    """Zip processed and curated tables with ``datapackage.json`` and a README on citing them."""
    data = root / "data"
    members = [data / "README.md", data / "datapackage.json", data / "sources.yml"]
    for folder in ("processed", "curated"):
        members += sorted(p for p in (data / folder).iterdir() if p.is_file())
    readme = _bundle_readme(root)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("exile-report-data/HOW-TO-CITE.md", _ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, readme)
        for path in members:
            if not path.exists():
                continue
            info = zipfile.ZipInfo(f"exile-report-data/{path.relative_to(data).as_posix()}",
                                   _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    target = out / DATA_BUNDLE
    target.write_bytes(buf.getvalue())
    return target


def _bundle_readme(root: Path) -> str:
    lines = [
        "# Data behind *Pushed Out: Political Exile from Russia*",
        "",
        "This bundle holds every table the report uses: `processed/` (derived by code from raw",
        "snapshots, see `sources.yml` for each snapshot's checksum), `curated/` (hand-compiled,",
        "every row with a citation key, the figure as published and a grade A/B/C), and",
        "`datapackage.json` (a Frictionless descriptor: `frictionless validate datapackage.json`).",
        "",
        "## How to cite",
        "",
        "Cite the report (see its appendix \"How to cite\") *and* the original source of the numbers",
        "you use. Each source's licence is listed below and in `sources.yml`.",
        "",
        "## Sources and licences",
        "",
    ]
    reg = yaml.safe_load((root / "data" / "sources.yml").read_text(encoding="utf-8"))
    entries = reg.get("sources", reg) if isinstance(reg, dict) else reg
    if isinstance(entries, dict):
        entries = [dict(v, id=k) for k, v in entries.items()]
    for src in entries or []:
        lic = src.get("licence") or src.get("license") or {}
        lic_name = lic.get("name") if isinstance(lic, dict) else lic
        lines.append(f"- **{src.get('title', src.get('id'))}** ({src.get('producer', '')}): "
                     f"{lic_name}; accessed {src.get('date_accessed', '')}; "
                     f"cite as `{src.get('citation_key', '')}`.")
    return "\n".join(lines) + "\n"


def book_fingerprint(root: Path, runs) -> str:
    """Everything the rendered book depends on besides the executions' own fingerprints."""
    import hashlib

    h = hashlib.sha256()
    for run in runs:
        h.update(f"{run.key}:{run.fingerprint}\n".encode())
    files = [root / "_quarto.yml", root / VARIABLES, root / "index.qmd"]
    files += sorted((root / "chapters").glob("*.qmd"))
    files += sorted(root.glob("*.bib"))
    files += sorted(p for p in (root / "src" / "exile_report" / "render").rglob("*")
                    if "__pycache__" not in p.parts)
    files += [root / "src" / "exile_report" / "publish.py"]
    for path in files:
        if path.is_file():
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def book_meta(params: dict[str, dict], date: str, commit: str) -> dict:
    """What the build knows about this edition and the sources do not (for either engine)."""
    return {
        "date": date,
        "version": __version__,
        "commit": commit,
        "parameters": params,
        "data_bundle": DATA_BUNDLE,
        "colophon": {
            "Edition": f"{__version__} ({date})",
            "Built from source commit": commit,
            "Build date": date,
            **{f"Parameters, {ch}": "; ".join(f"{k} = {_as_text(v)}" for k, v in vals.items())
               for ch, vals in params.items() if vals},
        },
    }


def render_into(root: Path, staging: Path, runs, params: dict[str, dict], *, date: str,
                commit: str, engine: str | None = None, log=print) -> dict:
    """Render the book from the executed chapters into ``staging`` (a fresh folder)."""
    from .render import render_book

    variables = yaml.safe_load((root / VARIABLES).read_text(encoding="utf-8"))
    chapters = {run.notebook.as_posix(): run.output for run in runs}
    meta = book_meta(params, date, commit)
    log(f"rendering HTML and PDF with the {engine or 'default'} engine")
    result = render_book(root, chapters, staging, meta=meta, engine=engine)
    write_data_bundle(root, staging)
    return {"render": result, "variables": variables}
