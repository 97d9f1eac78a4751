"""Assembling one edition of the book in a staging folder: variables, render, data bundle.

The build calls :func:`render_into` with the executed chapters; the staging folder is swapped
into ``_book/`` by :func:`exile_report.build.publish` only when this returns without error.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import yaml

VARIABLES = "_variables.yml"
DATA_BUNDLE = "exile-report-data.zip"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed member timestamps: the same inputs give the same bytes


def _as_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    return str(value)


def edition(date: str, commit: str, variant=None, root: Path | None = None) -> dict:
    """The ``edition`` variables: the declared edition (:mod:`exile_report.identity`; its
    version labelled ``variant …`` for a variant build) and this build's date and commit."""
    from .identity import edition_label, load

    ident = load(root)
    label = variant.label if variant is not None else ""
    return {
        "version": edition_label(ident, label),
        "release": ident.version,
        "date": ident.released,
        "year": ident.year,
        "built": date,
        "commit": commit,
        "variant": label,
    }


def write_variables(
    root: Path, params: dict[str, dict], date: str, commit: str, *, variant=None
) -> dict:
    """Write ``_variables.yml`` (Quarto's own mechanism for ``{{< var … >}}``) and the citation
    block the How-to-cite page includes (:data:`exile_report.identity.CITE_BLOCK`)."""
    from .findings import compute
    from .identity import CITE_BLOCK, cite_block_markdown, load

    label = variant.label if variant is not None else ""
    block = cite_block_markdown(load(root), commit=commit, variant=label)
    cite = root / CITE_BLOCK
    cite.parent.mkdir(parents=True, exist_ok=True)
    if not cite.is_file() or cite.read_text(encoding="utf-8") != block:
        cite.write_text(block, encoding="utf-8")
    variables = {
        "edition": edition(date, commit, variant, root),
        "params": {ch: {k: _as_text(v) for k, v in vals.items()} for ch, vals in params.items()},
        "findings": compute(),
    }
    text = "# Written by the build (exile_report.publish); do not edit.\n" + yaml.safe_dump(
        variables, sort_keys=True, allow_unicode=True, width=1000
    )
    path = root / VARIABLES
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return variables


class IncompleteBookError(RuntimeError):
    """The staged book lacks something it must hold; the message names what (one line)."""


#: Members of the data bundle written for it (README, citation and licence notes, the descriptor
#: with the edition, the bibliography), besides those copied from ``data/`` (:data:`BUNDLE_COPIED`
#: and the tables of ``datapackage.json``).
BUNDLE_WRITTEN = (
    "README.md",
    "HOW-TO-CITE.md",
    "LICENCES.md",
    "datapackage.json",
    "references.bib",
)
BUNDLE_COPIED = ("sources.yml",)
_BUNDLE_DIR = "exile-report-data"
_MEMBER_MODE = 0o100644 << 16  # a regular file readable by everyone once extracted


def bundle_members(root: Path) -> list[str]:
    """Paths (relative to ``data/``) the bundle copies: the register and every resource of
    ``datapackage.json``, nothing else (a scratch file next to the tables is not published)."""
    from .data import DataError

    descriptor = root / "data" / "datapackage.json"
    try:
        resources = json.loads(descriptor.read_text(encoding="utf-8"))["resources"]
        listed = [str(r["path"]) for r in resources]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{descriptor}: cannot read the list of tables "
            f"({type(exc).__name__}: {exc}); run `exile-report data`"
        ) from None
    for rel in listed:
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise DataError(f"{descriptor}: resource path {rel!r} leaves data/")
    return [*BUNDLE_COPIED, *sorted(listed)]


def write_data_bundle(root: Path, out: Path) -> Path:
    """Zip the tables of ``datapackage.json`` with the descriptor (plus the edition), the
    register, the bibliography, a README for readers, a note on citing and one on licences.
    A file the descriptor lists but that is missing stops the build (naming it)."""
    from .data import DataError
    from .datapackage import for_bundle
    from .figure_columns import figure_resources

    data = root / "data"
    members = bundle_members(root)
    missing = [rel for rel in members if not (data / rel).is_file()]
    if missing:
        raise DataError(
            f"data bundle not written: missing {', '.join('data/' + m for m in missing)}"
        )
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    # the figures' own CSVs whose columns are declared (figure_columns), as resources too
    figures = figure_resources(root / "figures")
    descriptor["resources"] = [*descriptor["resources"], *(res for _csv, res in figures)]
    edition_vars = _edition_variables(root)
    written = {
        "README.md": _bundle_readme(root, descriptor, edition_vars),
        "HOW-TO-CITE.md": _bundle_how_to_cite(root, edition_vars),
        "LICENCES.md": _bundle_licences(descriptor),
        "datapackage.json": for_bundle(descriptor, edition_vars),
        "references.bib": (root / "references.bib").read_text(encoding="utf-8"),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in [
            *((name, written[name].encode("utf-8")) for name in BUNDLE_WRITTEN),
            *((rel, (data / rel).read_bytes()) for rel in members),
            *((res["path"], csv.read_bytes()) for csv, res in figures),
        ]:
            info = zipfile.ZipInfo(f"{_BUNDLE_DIR}/{Path(name).as_posix()}", _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _MEMBER_MODE
            zf.writestr(info, content)
    target = out / DATA_BUNDLE
    target.write_bytes(buf.getvalue())
    return target


def _edition_variables(root: Path) -> dict:
    """The edition as the build wrote it into ``_variables.yml`` (plus the declared version)."""
    from .identity import load

    path = root / VARIABLES
    edition_vars = {}
    if path.is_file():
        edition_vars = dict(
            (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("edition") or {}
        )
    ident = load(root)
    edition_vars.setdefault("version", ident.version)
    edition_vars.setdefault("date", ident.released)
    if "commit" not in edition_vars or "built" not in edition_vars:
        # no build wrote _variables.yml (a bundle made on its own): the checkout's provenance
        from . import provenance

        prov = provenance.of(root)
        edition_vars.setdefault("commit", prov.commit)
        edition_vars.setdefault("built", prov.date)
    edition_vars["release"] = ident.version
    return edition_vars


def _bundle_readme(root: Path, descriptor: dict, edition_vars: dict) -> str:
    """The bundle's README, for readers of the data: what each file is and what each column
    means (from the schemas), nothing about the build."""
    from .datapackage import tables_markdown
    from .identity import load, long_date

    ident = load(root)
    label = edition_vars.get("version") or ident.version
    lines = [
        f"# Data of *{ident.full_title}*",
        "",
        (
            f"Edition {label}, released {long_date(ident.released)} (source commit "
            f"{edition_vars.get('commit', 'unknown')}). Every table the book uses, as it used them."
        ),
        "",
        "## Files",
        "",
        "- `README.md`: this file.",
        "- `HOW-TO-CITE.md`: how to cite the report and the original sources.",
        "- `LICENCES.md`: the licence of every file.",
        (
            "- `datapackage.json`: the Frictionless descriptor of every table: its columns with their "
            "types, units and meanings, its licence, its source and its sha256 "
            "(`frictionless validate datapackage.json` checks the tables against it)."
        ),
        (
            "- `sources.yml`: the register of sources: producer, address, publication and access "
            "dates, licence and citation key of each."
        ),
        "- `references.bib`: the bibliography (BibTeX): every citation key used in the tables.",
    ]
    for res in descriptor["resources"]:
        lines.append(f"- `{res['path']}`: {res.get('title') or res['name']}.")
    lines += [
        "",
        "## Conventions",
        "",
        (
            "UTF-8, comma-separated, one header row. An empty cell means missing, never zero. Dates "
            "are ISO (YYYY-MM-DD; a month or year known alone is written as its first day, with a "
            "precision column saying so). Country codes are ISO 3166-1 alpha-3 (`WLD` all countries, "
            "`EUU` the European Union). Counts of different things (persons and cases, border "
            "crossings and residents, applications and decisions) are separate columns or rows and "
            "are never to be added together; the units below say what each number counts."
        ),
        "",
        tables_markdown("##").rstrip("\n"),
    ]
    return "\n".join(lines) + "\n"


def _bundle_how_to_cite(root: Path, edition_vars: dict) -> str:
    from .identity import load, plain_citation

    ident = load(root)
    variant = edition_vars.get("variant") or ""
    commit = edition_vars.get("commit", "unknown")
    lines = [
        f"# How to cite the data of *{ident.full_title}*",
        "",
        "Cite the report, with the edition you used:",
        "",
        plain_citation(ident, commit=commit, variant=variant),
        "",
        (
            "*and* the original source of the numbers you use: each source below is an entry of "
            "`references.bib` under its citation key; the curated tables name theirs in the column "
            "`citation_key`. Each source's licence is in `LICENCES.md` and `sources.yml`."
        ),
        "",
        "## Sources",
        "",
    ]
    for src in _register_entries(root):
        lines.append(
            f"- **{src.get('title', src.get('id'))}** ({src.get('producer', '')}): accessed "
            f"{src.get('date_accessed', '')}; cite as `{src.get('citation_key', '')}`."
        )
    return "\n".join(lines) + "\n"


def _bundle_licences(descriptor: dict) -> str:
    lines = [
        "# Licences",
        "",
        (
            "The data remain their producers', under each source's licence; the curated tables are "
            "the report's own compilation. The licence of every file:"
        ),
        "",
    ]
    for res in descriptor["resources"]:
        names = "; ".join(
            lic.get("title") or lic.get("name") or "" for lic in res.get("licenses") or []
        )
        paths_ = [lic["path"] for lic in res.get("licenses") or [] if lic.get("path")]
        where = f" ({', '.join(paths_)})" if paths_ else ""
        lines.append(f"- `{res['path']}`: {names}{where}.")
    lines += [
        "",
        (
            "`README.md`, `HOW-TO-CITE.md`, this file, `datapackage.json`, `sources.yml` and "
            "`references.bib` describe the data and are under the report's licence for its text."
        ),
    ]
    return "\n".join(lines) + "\n"


def _register_entries(root: Path) -> list[dict]:
    reg = yaml.safe_load((root / "data" / "sources.yml").read_text(encoding="utf-8"))
    entries = reg.get("sources", reg) if isinstance(reg, dict) else reg
    if isinstance(entries, dict):
        entries = [dict(v, id=k) for k, v in entries.items()]
    return list(entries or [])


def book_fingerprint(root: Path, runs) -> str:
    """Everything the rendered book depends on besides the executions' own fingerprints (which
    cover the data, the lock file and the package code): sources, bibliography, renderer."""
    from .fingerprint import sha256_files

    runs_text = "".join(f"{run.key}:{run.fingerprint}\n" for run in runs)
    from .identity import CITE_BLOCK

    files = [root / "_quarto.yml", root / VARIABLES, root / "index.qmd", root / CITE_BLOCK]
    files += [root / "CHANGELOG.md"]  # printed in the appendix "How to cite"
    files += sorted((root / "chapters").glob("*.qmd"))
    files += sorted(root.glob("*.bib"))
    files += sorted(
        p
        for p in (root / "src" / "exile_report" / "render").rglob("*")
        if "__pycache__" not in p.parts
    )
    files += [root / "src" / "exile_report" / "publish.py"]
    return sha256_files({p for p in files if p.is_file()}, root, extra=runs_text.encode())


def book_meta(params: dict[str, dict], provenance, variant=None, root: Path | None = None) -> dict:
    """What the build knows about this edition and the sources do not (for either engine).

    The edition's identity comes from ``_quarto.yml`` (:mod:`exile_report.identity`);
    ``provenance`` (:class:`exile_report.provenance.Provenance`) dates this build and names its
    commit; what it cannot vouch for (a modified tree, no git history, the build day as date) is
    said in the colophon. ``variant`` (:class:`exile_report.provenance.Variant`) marks a build
    that is not the edition: its label is in the edition string, the colophon, a banner on every
    HTML page and the PDF's file name."""
    from .identity import edition_label, identity_rows, load, long_date

    ident = load(root)
    date, commit = provenance.date, provenance.commit
    label = variant.label if variant is not None else ""
    version = edition_label(ident, label)
    commit_text = commit + (f" of {provenance.commit_date}" if provenance.commit_date else "")
    colophon = {
        "Edition": f"{version} ({ident.released})",
        **({"Variant": variant.explanation()} if label else {}),
        **identity_rows(ident),
        "Built from source commit": commit_text,
        # the build says where its date comes from (the commit's, SOURCE_DATE_EPOCH or the day)
        "Build date": f"{date} ({provenance.date_source()})",
        **{f"Provenance: {k.lower()}": v for k, v in provenance.notes().items()},
        "Data": data_bundle_where(ident),
        **{
            f"Parameters, {ch}": "; ".join(f"{k} = {_as_text(v)}" for k, v in vals.items())
            for ch, vals in params.items()
            if vals
        },
    }
    return {
        "date": ident.released,
        "date_long": long_date(ident.released),
        "version": version,
        "variant": label,
        "variant_note": variant.explanation() if label else "",
        "pdf_name": pdf_name(variant),
        "commit": commit,
        "parameters": params,
        "data_bundle": DATA_BUNDLE,
        "site_url": ident.site_url,
        "citation": {"citation_doi": ident.doi} if ident.doi else {},
        "licence": _licence_line(ident),
        "colophon": colophon,
    }


def pdf_name(variant=None) -> str:
    """The PDF's file name: ``exile-report.pdf``, or with the variant's suffix."""
    suffix = variant.file_suffix if variant is not None else ""
    return f"exile-report{suffix}.pdf"


def data_bundle_where(ident) -> str:
    """Where the data bundle is, said so that the PDF alone never holds a dead link."""
    if ident.site_url:
        return f"all tables, with their descriptions and sources: {ident.url(DATA_BUNDLE)}"
    return (
        f"all tables, with their descriptions and sources, in {DATA_BUNDLE}, published beside "
        "this PDF and the HTML pages (the build writes it into the same folder)"
    )


def _licence_line(ident) -> str:
    parts = []
    if ident.licence:
        parts.append(f"Text and figures: {ident.licence}.")
    if ident.code_licence:
        parts.append(f"Code: {ident.code_licence}.")
    if parts:
        parts.append("Data: under the licence of each source.")
    return " ".join(parts)


def render_into(
    root: Path,
    staging: Path,
    runs,
    params: dict[str, dict],
    *,
    provenance,
    engine: str | None = None,
    log=print,
    pdf: bool = True,
    variant=None,
) -> dict:
    """Render the book from the executed chapters into ``staging`` (a fresh folder); without
    ``pdf``, the HTML book alone (the preview)."""
    from .render import render_book

    variables = yaml.safe_load((root / VARIABLES).read_text(encoding="utf-8"))
    chapters = {run.notebook.as_posix(): run.output for run in runs}
    meta = book_meta(params, provenance, variant, root)
    log(f"rendering HTML{' and PDF' if pdf else ''} with the {engine or 'default'} engine")
    result = render_book(root, chapters, staging, meta=meta, engine=engine, pdf=pdf)
    write_data_bundle(root, staging)
    return {"render": result, "variables": variables}


# --------------------------------------------------------------------------- the manifest


_LOCAL_REF = re.compile(r'(?:src|href|srcset)="([^"#?]+)[^"]*"')


def expected_pages(root: Path) -> list[str]:
    """The HTML page of every chapter and appendix in ``_quarto.yml``, at Quarto's address (both
    engines use it)."""
    from .render.frontend import _flatten_chapters, read_config

    config = read_config(root)
    book = config["book"]
    listed = _flatten_chapters(book.get("chapters"), root / "_quarto.yml")
    listed += _flatten_chapters(book.get("appendices"), root / "_quarto.yml")
    pages = []
    for i, name in enumerate(listed):
        stem = Path(name).with_suffix("")
        # both engines give a page Quarto's address: the source's path with .html
        pages.append("index.html" if i == 0 or stem.name == "index" else stem.as_posix() + ".html")
    return pages


def unexecuted_notebooks(root: Path, runs) -> list[str]:
    """Notebooks ``_quarto.yml`` lists that the build did not execute (they would be published
    without their outputs)."""
    from .render.frontend import _flatten_chapters, read_config

    config = read_config(root)
    book = config["book"]
    listed = _flatten_chapters(book.get("chapters"), root / "_quarto.yml")
    listed += _flatten_chapters(book.get("appendices"), root / "_quarto.yml")
    executed = {run.notebook.as_posix() for run in runs}
    return [n for n in listed if n.endswith(".ipynb") and Path(n).as_posix() not in executed]


def check_book(root: Path, staging: Path, result: dict) -> None:
    """Refuse an incomplete book before it replaces the published one.

    The staged book must hold every page of ``_quarto.yml``, the PDF, every file a page links to
    or shows (figures, downloads, assets), and the data bundle with every table of
    ``datapackage.json`` and nothing else. Raises :class:`IncompleteBookError` naming what is
    missing, for either engine."""
    engine = result.get("engine", "pandoc")
    missing: list[str] = []
    pages = expected_pages(root)
    missing += [p for p in pages if not (staging / p).is_file()]
    pdf = result.get("pdf")
    pdf = Path(pdf) if pdf else None
    if pdf is None or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        missing.append("the PDF")
    for page in sorted(staging.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for ref in _LOCAL_REF.findall(text):
            ref = ref.strip().split(" ")[0]
            if not ref or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref) or ref.startswith("//"):
                continue
            target = (page.parent / ref).resolve()
            if not target.exists():
                name = f"{ref} (linked from {page.relative_to(staging).as_posix()})"
                if name not in missing:
                    missing.append(name)
    bundle = staging / DATA_BUNDLE
    if not bundle.is_file():
        missing.append(DATA_BUNDLE)
    else:
        from .figure_columns import figure_resources

        figures = [res["path"] for _csv, res in figure_resources(root / "figures")]
        want = {f"{_BUNDLE_DIR}/{m}" for m in (*BUNDLE_WRITTEN, *bundle_members(root), *figures)}
        with zipfile.ZipFile(bundle) as zf:
            have = set(zf.namelist())
        missing += [f"{DATA_BUNDLE}: {m}" for m in sorted(want - have)]
        extra = sorted(have - want)
        if extra:
            missing.append(f"{DATA_BUNDLE}: files not in datapackage.json: {', '.join(extra)}")
    if missing:
        raise IncompleteBookError(
            f"the {engine} render gave an incomplete book, not published: "
            f"missing {'; '.join(missing[:10])}"
            + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else "")
        )
