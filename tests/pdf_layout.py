"""Typesetting faults a reader sees in a PDF, found with a real PDF text extractor (pdfium).

It works on any PDF (the built-in engine's book, real Quarto's book, a hand-made sample) and reports
three kinds of fault, each naming the page and the words:

- **overprint**: two words whose glyph boxes overlap (a table cell running into the next one, a
  label printed over another);
- **merged numbers**: two numbers (or a date and a word) that touch with no space and read as one
  word, such as ``1,500,0001,500,000`` or ``E012022-03-31``;
- **outside the text area**: a word that runs past the right or left edge of the text block (a long
  address running into the margin) or off the page.

:func:`half_empty_pages` finds pages left a third or more empty inside a chapter (a figure or
table pushed to the next page, with no text flowing past it).

Words are built the way a reader's eye builds them: consecutive glyphs on one baseline with no
space character and no visible gap between them. The text block is measured from the PDF itself
(the usual left and right edges of long lines on left-hand and right-hand pages), so no margins
need to be given; :func:`layout_problems` takes ``text_area`` to override that.

Run on its own: ``python tests/pdf_layout.py some.pdf`` prints one line per fault.
"""

from __future__ import annotations

import ctypes
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

#: a word is cut where the gap to the next glyph is more than this share of the font size
GAP = 0.25
#: boxes may touch or overlap by this much (points) without counting as overprint (kerning,
#: italic overhang, an accent reaching into the line above)
OVERLAP_SLACK = 0.6
#: a word may reach this far (points) past the measured edge of the text block
EDGE_SLACK = 2.0

#: the page set on its own grid (not checked against the text block)
TITLE_PAGE = 1

#: break opportunities without a glyph (typesetters put them into long addresses)
INVISIBLE = {"\u200b", "\u00ad", "\u2060"}

MERGED_NUMBERS = [
    (re.compile(r"\d,\d{4}"), "a thousands group of four digits"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[0-9A-Za-z]"), "a date run into the next word"),
    (re.compile(r"[0-9A-Za-z]\d{4}-\d{2}-\d{2}"), "a date run into the word before"),
    (re.compile(r"\d%\d"), "two percentages run together"),
    (re.compile(r"\d\.\d+\.\d+,\d"), "two numbers run together"),
]


@dataclass
class Word:
    page: int  # 1-based page index in the file
    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float

    def __str__(self) -> str:
        return f"{self.text!r} at ({self.left:.0f}, {self.bottom:.0f})"


def _glyphs(textpage):
    """(character, ink box, origin x, font size) for every character on a page."""
    out = []
    x, y = ctypes.c_double(), ctypes.c_double()
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        box = textpage.get_charbox(i)
        pdfium_c.FPDFText_GetCharOrigin(textpage, i, x, y)
        size = pdfium_c.FPDFText_GetFontSize(textpage, i)
        out.append((char, box, x.value, size))
    return out


def _word(page: int, glyphs: list) -> Word:
    """One word from its glyphs (character, ink box, origin, size)."""
    boxes = [b for _, b, _, _ in glyphs]
    return Word(
        page,
        "".join(c for c, _, _, _ in glyphs),
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
        max(s for _, _, _, s in glyphs),
    )


def _page_words(page: int, glyphs: list) -> list[Word]:
    """The words of one page: glyphs on one baseline with no space and no visible gap."""
    words: list[Word] = []
    current: list = []
    for char, box, origin, size in glyphs:
        if char in INVISIBLE:
            continue
        if not char.strip() or box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            if current:
                words.append(_word(page, current))
            current = []
            continue
        if current and all(abs(a - b) < 0.05 for a, b in zip(box, current[-1][1])):
            # a ligature ("fi") is one glyph: pdfium gives each letter the glyph's box
            current.append((char, box, origin, size))
            continue
        if current:
            _, prev, prev_origin, prev_size = current[-1]
            em = max(size, prev_size, 1.0)
            same_line = abs(box[1] - prev[1]) < 0.5 * em or abs(box[3] - prev[3]) < 0.5 * em
            # a glyph's tail may reach under the next one (Q, f), but the next glyph never
            # starts left of the previous one's origin unless it is overprinted
            backwards = origin <= prev_origin + 0.05 * em
            if not same_line or backwards or box[0] - prev[2] > GAP * em:
                words.append(_word(page, current))
                current = []
        current.append((char, box, origin, size))
    if current:
        words.append(_word(page, current))
    return words


def page_words(path: Path | str) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word of every page, and each page's (width, height) in points."""
    doc = pdfium.PdfDocument(str(path))
    words: list[Word] = []
    sizes = []
    try:
        for number in range(len(doc)):
            page = doc[number]
            sizes.append(page.get_size())
            textpage = page.get_textpage()
            words += _page_words(number + 1, _glyphs(textpage))
            textpage.close()
            page.close()
    finally:
        doc.close()
    return words, sizes


def _overlap(a: Word, b: Word) -> bool:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.top, b.top) - max(a.bottom, b.bottom)
    return width > OVERLAP_SLACK and height > OVERLAP_SLACK


def overprints(words: list[Word]) -> list[str]:
    """Pairs of words on one page whose boxes overlap."""
    problems = []
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    for page, items in sorted(by_page.items()):
        items.sort(key=lambda w: w.left)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.left >= a.right - OVERLAP_SLACK:
                    break
                if _overlap(a, b):
                    problems.append(f"page {page}: {a} overprints {b}")
    return problems


def merged_numbers(words: list[Word]) -> list[str]:
    """Words that are two numbers (or a number and a word) printed with no space between."""
    problems = []
    for w in words:
        if "/" in w.text or re.search(r"%[0-9A-F]{2}", w.text):  # an address, not numbers
            continue
        for pattern, what in MERGED_NUMBERS:
            if pattern.search(w.text):
                problems.append(f"page {w.page}: {w} is {what}")
                break
    return problems


def measured_text_area(
    words: list[Word], sizes: list[tuple[float, float]]
) -> dict[int, tuple[float, float]]:
    """The left and right edge of the text block on odd (1) and even (0) pages.

    Measured from the lines of body text: the most common left edge of lines and the most common
    right edge of long lines (justified lines all end there; ragged text ends short of it).
    """
    lines: dict[tuple[int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.page, round(w.bottom / 3)), []).append(w)
    lefts: dict[int, Counter] = {0: Counter(), 1: Counter()}
    rights: dict[int, Counter] = {0: Counter(), 1: Counter()}
    for (page, _), line in lines.items():
        parity = page % 2
        lefts[parity][round(min(w.left for w in line))] += 1
        if len(line) >= 6:
            rights[parity][round(max(w.right for w in line))] += 1
    area = {}
    for parity in (0, 1):
        if not lefts[parity] or not rights[parity]:
            continue
        left = lefts[parity].most_common(1)[0][0]
        # the right edge: the furthest right of the common line ends (a justified block's edge,
        # or the longest ragged lines), ignoring ends that occur once (those are the faults)
        common = [x for x, n in rights[parity].items() if n >= 3] or list(rights[parity])
        area[parity] = (left, max(common))
    return area


def outside_text_area(
    words: list[Word],
    sizes: list[tuple[float, float]],
    text_area: dict[int, tuple[float, float]] | None = None,
) -> list[str]:
    """Words that run past the left or right edge of the text block, or off the page.

    The title page (page 1) is laid out on a grid of its own (a cover with no margins, say): only
    running off the page counts there.
    """
    area = text_area or measured_text_area(words, sizes)
    problems = []
    for w in words:
        width, height = sizes[w.page - 1]
        if w.left < 0 or w.bottom < 0 or w.right > width or w.top > height:
            problems.append(f"page {w.page}: {w} runs off the page")
            continue
        edges = area.get(w.page % 2)
        if edges is None or w.page == TITLE_PAGE:
            continue
        left, right = edges
        if w.right > right + EDGE_SLACK or w.left < left - EDGE_SLACK:
            problems.append(
                f"page {w.page}: {w} runs outside the text area "
                f"({w.left:.0f}–{w.right:.0f} pt; the text block is {left:.0f}–{right:.0f} pt)"
            )
    return problems


def layout_problems(
    path: Path | str, text_area: dict[int, tuple[float, float]] | None = None
) -> list[str]:
    """Every overprint, merged number and word outside the text area in the PDF at ``path``."""
    words, sizes = page_words(path)
    return overprints(words) + merged_numbers(words) + outside_text_area(words, sizes, text_area)


# --------------------------------------------------------------------------- empty pages

#: a page is half empty when one stretch of it with nothing printed is taller than this share of
#: the page (the issue's pages were half to two-thirds empty)
EMPTY_SHARE = 1 / 3
#: a chapter's title is set this large (points) or larger: a page with one opens a chapter
OPENER_SIZE = 18.0
#: a page with fewer words than this (besides its number) is blank or nearly so
FEW_WORDS = 20

_FOLIO = re.compile(r"^(\d+|[ivxlc]+)$")


def _folio(words: list[Word], width: float, height: float) -> Word | None:
    """The page number printed centred at the foot of the page, or None."""
    for w in words:
        centre = (w.left + w.right) / 2
        if _FOLIO.match(w.text) and w.top < 0.12 * height and abs(centre - width / 2) < 15:
            return w
    return None


def _object_spans(page) -> list[tuple[float, float]]:
    """(bottom, top) of everything printed on a page: text, lines, shapes and images."""
    spans = []
    for obj in page.get_objects(max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        if right - left > 0 or top - bottom > 0:
            spans.append((bottom, top))
    return spans


def half_empty_pages(
    path: Path | str, words: list[Word] | None = None, sizes: list | None = None
) -> list[str]:
    """Numbered pages with a stretch of nothing taller than EMPTY_SHARE of the page: a figure or
    table pushed to the next page, leaving the rest of this one empty.

    Not checked: pages with no page number at the foot (title, colophon, blank pages) and the
    last page of a chapter or of the front matter (the next page is nearly blank, has no page
    number, opens a chapter, or there is none), where text ends and the rest of the page is empty
    by design. ``words`` and ``sizes`` are :func:`page_words` of the file, when already read.
    """
    if words is None or sizes is None:
        words, sizes = page_words(path)
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    doc = pdfium.PdfDocument(str(path))
    problems = []
    try:
        for number in range(1, len(doc) + 1):
            width, height = sizes[number - 1]
            items = by_page.get(number, [])
            folio = _folio(items, width, height)
            if folio is None:
                continue
            following = by_page.get(number + 1, [])
            if (
                number == len(doc)
                or len(following) < FEW_WORDS
                or _folio(following, *sizes[number]) is None
                or any(w.size >= OPENER_SIZE for w in following)
            ):
                continue  # the last page of a chapter
            spans = sorted((b, t) for b, t in _object_spans(doc[number - 1]) if b > folio.top + 0.5)
            if not spans:
                continue
            # from the foot (the top of the page number) upwards: the largest stretch with
            # nothing printed across it
            gaps, reach = [], folio.top
            for bottom, top in spans:
                if bottom > reach:
                    gaps.append((bottom - reach, reach, bottom))
                reach = max(reach, top)
            if gaps:
                size, low, high = max(gaps)
                if size > EMPTY_SHARE * height:
                    problems.append(
                        f"page {number}: {size / height:.0%} of the page is empty "
                        f"({low:.0f}–{high:.0f} pt from the foot)"
                    )
    finally:
        doc.close()
    return problems


if __name__ == "__main__":
    found = [p for arg in sys.argv[1:] for p in layout_problems(arg) + half_empty_pages(arg)]
    print("\n".join(found) or "no layout problems")
    sys.exit(1 if found else 0)
