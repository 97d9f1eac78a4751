"""Limits every parameter value passes besides its declared type and range.

- YAML is read without aliases and with bounded size and nesting, so a small text cannot expand
  into gigabytes (an alias bomb) or a thousand-deep structure.
- Every text value is one printable line of bounded length: ``"LVA\\n"`` or a control character
  never reaches a notebook.
- Country codes are checked against known code lists (:mod:`exile_report.codes`) by full match:
  a code that is not assigned (``XYZ``), in other letters (Cyrillic ``ЛВА``) or with anything around
  it is refused before any kernel starts.

:data:`CODE_LISTS` says which parameters hold codes. (Keep it next to the chapters' parameter
declarations when those move into one place.)
"""

from __future__ import annotations

import re

import yaml

from .codes import ISO3, JURISDICTIONS

#: Largest ``--param`` value and ``params.yml``, in characters.
MAX_VALUE_CHARS = 4_000
MAX_FILE_CHARS = 200_000
#: Deepest nesting of YAML collections (params.yml: sets > set > chapter > parameter > value).
MAX_DEPTH = 6
#: Longest text value and list.
MAX_TEXT = 200
MAX_ITEMS = 500

_CODE = re.compile(r"[A-Z]{3}")

#: (chapter, parameter) -> (what the codes are, allowed codes, where: "items" or "keys")
CODE_LISTS: dict[tuple[str, str], tuple[str, frozenset[str], str]] = {
    ("scale", "hosts"): ("ISO 3166-1 alpha-3 country codes", ISO3, "items"),
    ("scale", "source_choice"): ("ISO 3166-1 alpha-3 country codes", ISO3, "keys"),
    ("host-states", "jurisdictions"): (
        "ISO 3166-1 alpha-3 codes (or EUU for the EU)",
        JURISDICTIONS,
        "items",
    ),
    ("asylum-law", "origins"): ("ISO 3166-1 alpha-3 country codes", ISO3, "items"),
}


class LimitError(ValueError):
    """A value beyond the limits; the caller adds where it came from."""


def _loader(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """A loader like ``base`` that refuses aliases and nesting deeper than :data:`MAX_DEPTH`."""

    class Bounded(base):
        _depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise LimitError(f"YAML aliases (*{event.anchor}) are not allowed in parameters")
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH + 1:
                    raise LimitError(f"nested deeper than {MAX_DEPTH} levels")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return Bounded


def load_yaml(text: str, base: type[yaml.SafeLoader], *, limit: int):
    """YAML ``text`` read with ``base``'s rules inside the limits (raises :class:`LimitError`)."""
    if len(text) > limit:
        raise LimitError(f"{len(text):,} characters, more than the limit of {limit:,}")
    return yaml.load(text, Loader=_loader(base))  # a SafeLoader subclass


def check_value(chapter: str, name: str, value) -> None:
    """Refuse text that is not one printable line, oversized lists, unknown codes."""
    where = f"parameter {chapter}.{name}"
    items = list(value) if isinstance(value, (list, tuple, dict)) else [value]
    if len(items) > MAX_ITEMS:
        raise LimitError(f"{where}: {len(items)} values, more than the limit of {MAX_ITEMS}")
    texts = [v for v in items if isinstance(v, str)]
    if isinstance(value, dict):
        texts += [v for v in value.values() if isinstance(v, str)]
    for text in texts:
        if len(text) > MAX_TEXT or not text.isprintable():
            shown = repr(text) if len(text) <= 40 else repr(text[:37]) + "..."
            raise LimitError(
                f"{where}: {shown} is not one printable line of at most {MAX_TEXT} characters"
            )
    spec = CODE_LISTS.get((chapter, name))
    if spec is None:
        return
    what, allowed, part = spec
    codes = list(value.keys()) if part == "keys" and isinstance(value, dict) else items
    bad = [c for c in codes if not (isinstance(c, str) and _CODE.fullmatch(c) and c in allowed)]
    if bad:
        raise LimitError(f"{where}: {', '.join(map(repr, bad))} not among the {what}")
