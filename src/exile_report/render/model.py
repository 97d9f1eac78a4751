"""The book as the renderers see it: the contract between the front end and each output writer.

The front end (notebooks and .qmd files -> pandoc markdown) produces a :class:`Book`. Its
markdown is format-neutral, and every writer passes it through :data:`CROSSREF_FILTER` first in
its pandoc run (before citeproc), which gives it its numbers and links:

* each chapter's markdown opens with a raw ``{=exile-chapter}`` block (its key, kind and
  front-matter title) that the filter reads and removes; blocks a writer adds after the chapters
  without such a marker (a References page) are left as they are;
* figures are pandoc images with an id and attributes; the filter puts the number in the caption
  (``Figure 2.1: Caption``) and makes ``fig-alt`` the image's alt text;
* tables carry their caption and id; the filter numbers the caption (``Table 2.1: …``);
* cross-references (``@fig-x``, ``[-@tbl-y]``, ``@sec-z``) become links with a bare fragment
  (``[Figure 2.1](#fig-x){.quarto-xref}``); the HTML writer rewrites the fragment to the page
  holding the target (:attr:`Book.targets`), the PDF writer keeps it;
* citations stay ``[@key]`` for citeproc in each writer; every key has already been checked
  against the bibliography by the front end;
* section headings (level 2+) get their number as a leading span,
  ``## [2.1]{.header-section-number} Title {#sec-x}``; the chapter heading (level 1, exactly one per
  chapter) is left as written (``# Title {#sec-x}``): writers take the chapter number from
  :attr:`Chapter.number` and show it as they like ("2", "Appendix A");
* a figure or table is followed by a ``::: {.figure-meta}`` div (an ordinary Markdown output of
  its cell, see ``plotting.figure_meta_markdown``) holding ``[Source: …]{.figure-source}`` and
  ``[[PNG](figures/fig-x.png) · …]{.figure-downloads}``. The PDF writer keeps the source line and
  drops ``.figure-downloads``;
* an image from a notebook has ``fig-alt`` (and ``alt``) attributes and, when an SVG has a PNG
  twin, a ``png="…"`` attribute naming the fallback;
* every relative path used in the markdown (images, download links) is a key of
  :attr:`Book.resources`, mapped to the file on disk; a writer copies (or points its resource
  root at) these files, relative to the book root.

:func:`~.frontend.numbered_markdown` shows a book's markdown as the writers see it after the
filter.

Errors anywhere in rendering raise :class:`RenderError`, whose message names the file and place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: The Lua filter that numbers the book and resolves its cross-references on pandoc's document
#: tree. Every pandoc run of the book's markdown runs it first, before citeproc: the front end's
#: (which checks the book and reports numbers and targets) and each writer's.
CROSSREF_FILTER = Path(__file__).with_name("crossref.lua")


class RenderError(Exception):
    """A problem in the book's sources or in rendering it; the message names the file and place."""


@dataclass
class Chapter:
    key: str  # file stem, e.g. "02-scale"; also the stem of the HTML page
    kind: str  # "preface" | "chapter" | "appendix" | "references"
    number: str | None  # "2", "A", or None when unnumbered
    title: str  # plain-text title, without the number
    sec_id: str | None  # id of the chapter heading, e.g. "sec-scale"
    markdown: str  # pandoc markdown of the body, heading included (numbered by CROSSREF_FILTER)
    source: Path  # the file it came from (for error messages)
    notebook: Path | None = None  # executed notebook offered for download, if any

    @property
    def html_name(self) -> str:
        """The page's address in the book, as Quarto gives it: the source's path relative to the
        project with ``.html`` (``chapters/02-scale.html``); the preface is ``index.html``."""
        if self.kind == "preface":
            return "index.html"
        folder = Path(self.source).parent.as_posix()
        return (
            f"{self.key}.html"
            if folder in ("", ".") or Path(self.source).is_absolute()
            else f"{folder}/{self.key}.html"
        )


@dataclass
class Book:
    title: str
    subtitle: str
    authors: list[str]
    date: str  # ISO date of the edition (from the source commit, never the clock)
    version: str  # edition, e.g. "0.1.0"
    chapters: list[Chapter]
    bibliography: list[Path]
    csl: Path | None = None
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    language: str = "en"
    resources: dict[str, Path] = field(default_factory=dict)  # extra files copied into the output
    # repo url, licence, commit, parameters used, ...; the front end adds "cited" (chapter key ->
    # citation keys in order of first use) and "config" (the parsed _quarto.yml).
    meta: dict = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # crossref id -> chapter key
