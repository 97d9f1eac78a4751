"""The edition's identity, declared once in ``_quarto.yml``, and every citation made from it.

``_quarto.yml`` holds each fact once, under the key Quarto itself reads where it has one:

- ``book: title / subtitle / site-url / repo-url``: the book's title, its site address and its
  repository address (Quarto makes the site address its canonical and Scholar addresses);
- ``author:``: the authors, an organisation written ``name: {literal: …}`` (so that no reference
  manager reads "team" as a surname);
- ``citation: type / doi``: the item type (``book`` everywhere) and the DOI;
- ``edition: version / released / licence / code-licence / abstract / cutoff``: the edition.

An address, DOI or licence that is not declared is absent from every output: nothing here
invents one. ``CITATION.cff`` is generated from this (:func:`cff_text`; ``python -m
exile_report.identity`` rewrites it, a test checks it is current), and so are the How-to-cite
block (:func:`cite_block_markdown`), the Scholar tags and the colophon rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import paths

#: The one item type of every citation (CFF ``type``, BibTeX ``@book``, Scholar tags).
ITEM_TYPE = "book"
CFF = "CITATION.cff"
#: Where the build writes the citation block the How-to-cite page and the landing page include.
CITE_BLOCK = Path("_build/edition/cite-this-edition.md")


class IdentityError(ValueError):
    """``_quarto.yml`` declares the edition wrongly; the message names the key."""


@dataclass(frozen=True)
class Identity:
    title: str
    subtitle: str
    authors: tuple[str, ...]  # organisations (or people) by their full name
    version: str
    released: str  # YYYY-MM-DD
    cutoff: str
    keywords: tuple[str, ...] = ()
    site_url: str = ""
    repository: str = ""
    doi: str = ""
    licence: str = ""  # SPDX id of the text and figures
    code_licence: str = ""  # SPDX id of the code
    abstract: str = ""

    @property
    def full_title(self) -> str:
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title

    @property
    def year(self) -> str:
        return self.released[:4]

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def url(self, rel: str = "") -> str:
        """The absolute address of ``rel`` on the book's site; "" without a site address."""
        if not self.site_url:
            return ""
        return f"{self.site_url.rstrip('/')}/{rel.lstrip('/')}" if rel else self.site_url

    def licences(self) -> list[str]:
        return [x for x in (self.licence, self.code_licence) if x]


def _author_name(author) -> str:
    if isinstance(author, dict):
        name = author.get("name")
        if isinstance(name, dict):
            return str(
                name.get("literal")
                or " ".join(str(name[k]) for k in ("given", "family") if name.get(k))
            )
        return str(name)
    return str(author)


def _date(value, key: str, where: Path) -> str:
    text = str(value)
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise IdentityError(f"{where}: {key}: {text!r} is not a YYYY-MM-DD date") from None
    return text


def _address(value, key: str, where: Path) -> str:
    text = str(value or "").strip()
    if text and not re.match(r"^https://[^\s/]+", text):
        raise IdentityError(f"{where}: {key}: {text!r} is not an https:// address")
    return text.rstrip("/")


def load(root: Path | None = None) -> Identity:
    """The identity declared in ``root/_quarto.yml``."""
    path = Path(root or paths.ROOT) / "_quarto.yml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IdentityError(f"{path}: cannot read ({exc})") from None
    book = config.get("book") or {}
    edition = config.get("edition") or {}
    citation = config.get("citation") or {}
    for key in ("version", "released"):
        if not edition.get(key):
            raise IdentityError(f"{path}: edition: {key}: is not set")
    if citation.get("type", ITEM_TYPE) != ITEM_TYPE:
        raise IdentityError(f"{path}: citation: type: must be {ITEM_TYPE!r} (one item type)")
    container = citation.get("container-title")
    if container is not None and str(container) != str(book.get("title")):
        raise IdentityError(
            f"{path}: citation: container-title: {container!r} differs from book: title: "
            f"{book.get('title')!r}"
        )
    doi = str(citation.get("doi") or "").strip()
    if doi and not re.match(r"^10\.\d{4,9}/\S+$", doi):
        raise IdentityError(f"{path}: citation: doi: {doi!r} is not a DOI (10.NNNN/…)")
    authors = tuple(_author_name(a) for a in (config.get("author") or book.get("author") or []))
    if not authors:
        raise IdentityError(f"{path}: author: is empty")
    return Identity(
        title=str(book.get("title") or ""),
        subtitle=str(book.get("subtitle") or ""),
        authors=authors,
        version=str(edition["version"]),
        released=_date(edition["released"], "edition: released", path),
        cutoff=_date(edition.get("cutoff", ""), "edition: cutoff", path),
        keywords=tuple(str(k) for k in config.get("keywords") or []),
        site_url=_address(book.get("site-url"), "book: site-url", path),
        repository=_address(book.get("repo-url"), "book: repo-url", path),
        doi=doi,
        licence=str(edition.get("licence") or ""),
        code_licence=str(edition.get("code-licence") or ""),
        abstract=" ".join(str(edition.get("abstract") or "").split()),
    )


def long_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


# --------------------------------------------------------------------------- CITATION.cff


def cff_data(ident: Identity) -> dict:
    """CITATION.cff as a mapping: the top level (what cffconvert converts) and the
    preferred-citation (what code hosts show) say the same."""

    def common() -> dict:  # fresh lists each time: no YAML anchors in the file
        return {"title": ident.full_title, "authors": [{"name": a} for a in ident.authors]}

    optional = {
        "doi": ident.doi,
        "url": ident.site_url,
        "repository-code": ident.repository,
    }
    top = {
        "cff-version": "1.2.0",
        "message": (
            "If you use this report, its figures or its data, please cite the report as below "
            "(see preferred-citation), with the edition (version and date) you used, and also "
            "cite the original source named in each figure's source line."
        ),
        "type": "software",  # CFF 1.2.0 knows only software and dataset at the top level
        **common(),
        "version": ident.version,
        "date-released": ident.released,
        **{k: v for k, v in optional.items() if v},
    }
    if ident.licences():
        top["license"] = ident.licences()
    if ident.abstract:
        top["abstract"] = ident.abstract
    top["keywords"] = list(ident.keywords)
    top["preferred-citation"] = {
        "type": ITEM_TYPE,
        **common(),
        "edition": ident.version,
        "year": int(ident.year),
        "date-released": ident.released,
        **{k: v for k, v in optional.items() if v},
        "keywords": list(ident.keywords),
    }
    return top


def cff_text(ident: Identity | None = None) -> str:
    ident = ident or load()
    header = (
        "# Generated from _quarto.yml (book:, author:, citation:, edition:) by\n"
        "# `python -m exile_report.identity`; do not edit by hand (a test checks it is current).\n"
        "# Validate with: .venv-cff/bin/cffconvert --validate -i CITATION.cff\n"
    )
    # the top level's type "software" is CFF's default; leave it out so no reader takes it
    data = cff_data(ident)
    data.pop("type")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def write_cff(root: Path | None = None) -> Path:
    root = Path(root or paths.ROOT)
    path = root / CFF
    text = cff_text(load(root))
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- citations


def edition_label(ident: Identity, variant: str = "") -> str:
    """``0.1.0``, or ``0.1.0 variant 1a2b3c4d`` for a build that is not the edition."""
    return f"{ident.version} {variant}" if variant else ident.version


def plain_citation(ident: Identity, *, commit: str, variant: str = "") -> str:
    """The citation in words (Markdown: the title in italics)."""
    head = (
        f"{', '.join(ident.authors)} ({ident.year}). *{ident.full_title}*. "
        f"Edition {edition_label(ident, variant)}, {long_date(ident.released)} "
        f"(source commit {commit})."
    )
    parts = [head]
    if ident.doi:
        parts.append(f"<{ident.doi_url}>.")
    if ident.site_url:
        parts.append(f"<{ident.url()}>.")
    return " ".join(parts)


def bibtex(ident: Identity, *, commit: str, variant: str = "") -> str:
    """The BibTeX entry: ``@book``, the title and the organisation in braces (kept as written:
    no lower-casing, no "team" as a surname)."""
    fields = [
        ("title", "{" + ident.full_title + "}"),
        ("author", " and ".join("{" + a + "}" for a in ident.authors)),
        ("year", ident.year),
        ("date", ident.released),
        ("edition", edition_label(ident, variant)),
    ]
    if ident.doi:
        fields.append(("doi", ident.doi))
    if ident.site_url:
        fields.append(("url", ident.url()))
    fields.append(("note", f"Source commit {commit}"))
    key = f"pushed_out_{ident.year}"
    body = ",\n".join(f"  {name:<7} = {{{value}}}" for name, value in fields)
    return f"@{ITEM_TYPE}{{{key},\n{body}\n}}"


def cite_block_markdown(ident: Identity, *, commit: str, variant: str = "") -> str:
    """The citation block (plain text and BibTeX) included by the How-to-cite appendix and the
    landing page."""
    lines = [
        "<!-- Written by the build (exile_report.identity) from _quarto.yml; do not edit. -->",
        "",
        "**Plain text**",
        "",
        f"[{plain_citation(ident, commit=commit, variant=variant)}]{{.citation-text}}",
        "",
        "**BibTeX**",
        "",
        "```bibtex",
        bibtex(ident, commit=commit, variant=variant),
        "```",
    ]
    return "\n".join(lines) + "\n"


def identity_rows(ident: Identity) -> dict[str, str]:
    """Colophon rows of what the edition declares (nothing for what it does not)."""
    rows = {"Authors": ", ".join(ident.authors)}
    if ident.site_url:
        rows["Address"] = ident.url()
    if ident.repository:
        rows["Source repository"] = ident.repository
    if ident.doi:
        rows["DOI"] = ident.doi
    if ident.licences():
        text = []
        if ident.licence:
            text.append(f"text and figures {ident.licence}")
        if ident.code_licence:
            text.append(f"code {ident.code_licence}")
        rows["Licence"] = (
            "; ".join(text) + "; the data remain under their sources' licences (Appendix A1)"
        )
    return rows


def main() -> int:
    """``python -m exile_report.identity``: rewrite CITATION.cff from _quarto.yml."""
    from .writer_cli import run_writer

    return run_writer(write_cff, (IdentityError, OSError))


if __name__ == "__main__":
    raise SystemExit(main())
