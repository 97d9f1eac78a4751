"""Both engines give the same pages (#14): body text at the size of ``_quarto.yml``
(``fontsize``), the page number printed once per page, and blank pages left blank (no running
head, no number)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from pdf_layout import page_words

ROOT = Path(__file__).resolve().parents[1]
#: words in front of a chapter's number in a running head
LABELS = {"Chapter", "Appendix", "CHAPTER", "APPENDIX"}


def _declared_size() -> float:
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    return float(str(config["format"]["typst"]["fontsize"]).removesuffix("pt"))


def page_faults(pdf: Path, body_size: float) -> list[str]:
    """What differs from the house pages: the commonest text size is not ``body_size``; a page
    shows more than one page number in its head and foot; a page with no text in its body has
    a running head or a number."""
    words, sizes = page_words(pdf)
    faults = []
    common = Counter(round(w.size, 1) for w in words).most_common(1)[0][0]
    if abs(common - body_size) > 0.3:
        faults.append(f"body text at {common} pt, not {body_size} pt")
    by_page: dict[int, list] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    for page in range(2, len(sizes) + 1):  # the cover is set on its own
        _width, height = sizes[page - 1]
        on_page = by_page.get(page, [])
        edge = 0.075 * height  # running heads and folios sit in the top and bottom margins
        head = sorted((w for w in on_page if w.top > height - edge), key=lambda w: w.left)
        foot = sorted((w for w in on_page if w.bottom < edge), key=lambda w: w.left)
        margins = head + foot
        body = [w for w in on_page if w not in margins]
        numbers = []
        for line in (head, foot):
            previous = ""
            for w in line:
                # a chapter's number in the running head ("Chapter 2 · ...") is no page number
                if (w.text.isdigit() or not w.text.strip("ivxlc")) and previous not in LABELS:
                    numbers.append(w)
                previous = w.text
        if len(numbers) > 1:
            faults.append(f"page {page}: page number printed {len(numbers)} times")
        if not body and margins:
            faults.append(f"page {page}: blank page shows {' '.join(w.text for w in margins)!r}")
    return faults


def test_both_engines_set_the_house_pages(reader_repo):
    assert page_faults(reader_repo / "_book" / "exile-report.pdf", _declared_size()) == []
