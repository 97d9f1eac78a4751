"""How values are written into the book's prose: one place for every format readers see.

Chapters place computed values into their Markdown with Quarto inline expressions
(`` `{python} prose.num(n)` ``, see :mod:`exile_report.inline`); the helpers here turn values into
the text the reader sees, so every chapter writes numbers, percentages, dates and citations the
same way.

- numbers: ``12,345`` (comma thousands separator, no rounding unless asked);
- percentages: ``73%`` (no space, as in English-language reference works);
- dates: ``24 February 2022``; month precision ``February 2022``; year ``2022``;
- citations: pandoc's ``[@a; @b]``.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from .escape import markdown_text

#: A bibliography key as the project writes them: letters, digits and underscores (no hyphen, so a
#: cross-reference like ``fig-x`` is never taken for one).
_KEY = re.compile(r"[A-Za-z0-9_]+")

#: The start of Russia's full-scale invasion of Ukraine: the book's "before" and "after".
INVASION = pd.Timestamp("2022-02-24")
#: The "partial" mobilisation decree, which set off the second and larger wave of departures.
MOBILISATION = pd.Timestamp("2022-09-21")


def cite(keys) -> str:
    """'a;b' or ['a', 'b'] -> '[@a; @b]' (each key once, in order); '' when there is none."""
    if isinstance(keys, str) or not isinstance(keys, (list, tuple, pd.Series, set)):
        keys = [keys]
    seen: list[str] = []
    for k in keys:
        if k is None or (not isinstance(k, str) and pd.isna(k)):
            continue
        for part in str(k).split(";"):
            part = part.strip().lstrip("@")
            if part and part not in seen:
                seen.append(part)
    if not seen:
        return ""
    text = "[" + "; ".join(f"@{k}" for k in seen) + "]"
    # a key from a data file that could be anything but a bibliography key (a cross-reference
    # such as fig-x, markup, spaces) stays text; pandoc names a key the bibliography lacks
    return text if all(_KEY.fullmatch(k) for k in seen) else markdown_text(text)


def num(n, digits: int = 0) -> str:
    """12345 -> '12,345'; with ``digits``, that many decimals ('3,053.6'). Missing -> '–'."""
    if n is None or (isinstance(n, float) and math.isnan(n)) or n is pd.NA:
        return "–"
    if digits == 0:
        return f"{round(float(n)):,}"
    return f"{float(n):,.{digits}f}"


def pct(x, digits: int = 0) -> str:
    """A share 0.731 -> '73%' (``digits`` decimals: '73.1%'). Missing -> '–'."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * float(x):.{digits}f}%"


def _ts(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"not a date: {value!r}")
    return ts


def date(value, precision: str = "day") -> str:
    """A date as the book prints it: '24 February 2022', 'February 2022' (month) or '2022' (year).

    ``precision`` is what the source states ('day', 'month' or 'year'); a month-only date is
    never printed as an exact day.
    """
    ts = _ts(value)
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return ts.strftime("%B %Y")
    if precision != "day":
        raise ValueError(f"unknown date precision {precision!r} (day, month or year)")
    return f"{ts.day} {ts.strftime('%B %Y')}"


def span(a, b) -> str:
    """Two years or numbers as a range with an en dash: '1991–2021'."""
    return f"{a}–{b}"


def listing(items, conj: str = "and") -> str:
    """['a'] -> 'a'; ['a', 'b'] -> 'a and b'; ['a', 'b', 'c'] -> 'a, b and c'."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 measure', '3 measures' (the number written with :func:`num`)."""
    word = one if int(n) == 1 else (many or one + "s")
    return f"{num(n)} {word}"


def text(value) -> str:
    """Data text placed into Markdown as plain text: markup characters are escaped, so a name
    or note from a data file can never become a link, a citation, emphasis or raw HTML."""
    return markdown_text("" if value is None else value)
