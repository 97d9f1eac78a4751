"""Data values as text: escaping for pandoc Markdown, HTML and typst.

A value read from a data file (a curated note, a source's title, a cell of a table) is text, never
markup. Whatever it holds (``<img onerror=…>``, a raw ``{=typst}`` span, ``@fig-x``, ``*x*``) must
reach the reader as those very characters. Everything that puts a data value into a document
passes it through one of these functions; markup the code itself writes (a citation built by
:func:`exile_report.prose.cite`) is recognised by :func:`is_citation` and left as it is.
"""

from __future__ import annotations

import html
import re

#: ASCII punctuation that pandoc's Markdown reads as inline markup: emphasis, code and raw spans,
#: links and images, citations and cross-references, raw HTML and entities, math, super- and
#: subscripts, attributes, table cells. Each is written backslash-escaped, which pandoc reads as
#: the literal character. Quotes, dashes and full stops are left alone: pandoc's smart
#: typography turns them into ’ “ – …, which changes no meaning.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|@$^~&=:])")

#: A citation as the package writes it: ``[@key]`` or ``[@a; @b]`` with keys in the project's
#: format (``author_year_word``, lower case, the year may be ``nd``), nothing else in the cell.
#: A cross-reference (``@fig-…``) has no ``_`` and never matches.
_KEY = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:\d{4}|nd)_[a-z0-9_]+"
CITATION_RE = re.compile(rf"\[@{_KEY}(?:; @{_KEY})*\]")
_TRAILING_CITATION = re.compile(rf" ({CITATION_RE.pattern})$")


def is_citation(text: str) -> bool:
    """True when ``text`` is exactly one pandoc citation written by the package's helpers."""
    return CITATION_RE.fullmatch(text) is not None


def markdown_text(value: object) -> str:
    """``value`` as inline pandoc Markdown that renders as exactly its characters, on one line."""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_cell(value: object) -> str:
    """A table cell: a citation written by the package stays a citation; any other value is text.

    A cell may end in such a citation (``f"{claim} {cite(keys)}"``): the citation stays, the text
    before it is escaped. Only keys in the project's format count, so ``[@fig-x]`` stays text."""
    text = " ".join(str(value).split())
    if is_citation(text):
        return text
    match = _TRAILING_CITATION.search(text)
    if match:
        return f"{markdown_text(text[: match.start()])} {match.group(1)}"
    return markdown_text(text)


def html_text(value: object) -> str:
    """``value`` as HTML text or attribute content (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def typst_string(value: object) -> str:
    """``value`` as a typst string literal (``"…"``), which typst never reads as markup."""
    text = (
        str(value)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{text}"'


URL_RE = re.compile(r"https?://[^\s<>\"'`\\]+")


def markdown_url(url: object) -> str:
    """An http(s) URL as a Markdown autolink; anything else as plain text."""
    text = str(url).strip()
    if URL_RE.fullmatch(text):
        return f"<{text}>"
    return markdown_text(text)
