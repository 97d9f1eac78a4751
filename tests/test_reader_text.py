"""What readers see in the built book (issue 16): no working vocabulary on any page, every
figure of the chapters with the alt text its figure's function computed from the data, and the
same headline (range, concept, date) in the key findings and chapters 1, 2 and 5."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from _printed_dates import html_pages
from exile_report.analysis import host_states as hs
from exile_report.analysis import scale
from exile_report.figures import alt_texts
from exile_report.params import CHAPTER_MODULES
from exile_report.prose import date
from test_chapter_history import WORKING_VOCABULARY

#: The chapter pages of the built book (appendices name the project's parameters and sources).
CHAPTER_PAGES = {
    f"chapters/{Path(nb).stem}.html": Path(nb).stem
    for nb, module in CHAPTER_MODULES.values()
    if module is not None
}


def _alts(page: str) -> dict[str, str]:
    """Figure label -> the alt text of its image, for every figure image of a page."""
    out = {}
    for tag in re.findall(r"<img\b[^>]*>", page):
        src = re.search(r'\bsrc="([^"]*)"', tag)
        if not src:
            continue
        # the built-in engine names the file after the figure, Quarto adds "-output-1"
        label = re.search(r"(fig-[a-z0-9-]+?)(?:-output-\d+)?\.(?:png|svg)", src.group(1))
        if label:
            alt = re.search(r'\balt="([^"]*)"', tag)
            out[label.group(1)] = html.unescape(alt.group(1)) if alt else ""
    return out


def _computed_alts(repo: Path, stem: str) -> dict[str, str]:
    """Figure label -> the alt text ``save_figure(..., alt=...)`` recorded in the executed
    notebook (the text the figure's function produced from the data)."""
    nb = json.loads((repo / "_build" / "executed" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            meta = (o.get("metadata") or {}).get("exile_report") or {}
            if meta.get("label", "").startswith("fig-"):
                out[meta["label"]] = meta.get("alt")
    return out


# ------------------------------------------------------------------ the built book, both engines


@pytest.mark.slow
def test_no_working_vocabulary_on_any_page_of_the_book(reader_repo):
    book = reader_repo / "_book"
    pages = html_pages(book)
    readers = {"index.html", *CHAPTER_PAGES}
    assert readers <= set(pages)
    for name in readers:
        raw = (book / name).read_text(encoding="utf-8")
        text = pages[name] + " " + " ".join(_alts(raw).values())
        for word in WORKING_VOCABULARY:
            assert word not in text, (name, word)


@pytest.mark.slow
def test_every_figure_has_the_alt_text_its_function_computed(reader_repo):
    seen = 0
    for page, stem in CHAPTER_PAGES.items():
        raw = (reader_repo / "_book" / page).read_text(encoding="utf-8")
        shown = _alts(raw)
        computed = _computed_alts(reader_repo, stem)
        assert set(shown) == set(computed), (page, set(shown) ^ set(computed))
        for label, alt in shown.items():
            assert computed[label], f"{page}: {label} has no alt text computed from its data"
            assert alt == computed[label], (page, label, alt)
        seen += len(shown)
    assert seen >= 20  # chapters 1-4 draw figures; chapter 5 has none


def _headline_pattern() -> re.Pattern:
    h = scale.headline()
    when = re.escape(date(h.as_of, "month"))
    return re.compile(
        re.escape(h.range_text())
        + r"\s+"
        + re.escape(h.concept)
        + r"\s*,?\s*(?:as of|in)\s+"
        + when
    )


@pytest.mark.slow
def test_the_findings_and_chapters_1_2_and_5_state_the_same_headline(reader_repo):
    pages = html_pages(reader_repo / "_book")
    pattern = _headline_pattern()
    for page in (
        "index.html",
        "chapters/01-history.html",
        "chapters/02-scale.html",
        "chapters/05-conclusion.html",
    ):
        assert pattern.search(pages[page]), (page, pattern.pattern)


def test_the_headline_pattern_finds_a_changed_range_or_date_wrong():
    h = scale.headline()
    good = f"is {h.range_text()} {h.concept} , as of {date(h.as_of, 'month')}."
    assert _headline_pattern().search(good)
    assert not _headline_pattern().search(good.replace(h.range_text(), "450,000–1,000,000"))
    assert not _headline_pattern().search(good.replace(date(h.as_of, "month"), "May 2023"))


# ------------------------------------------------------------------ the alt functions


def test_hosts_alt_names_the_country_with_most_figures_from_the_data():
    data = pd.DataFrame(
        {
            "geography": ["DEU", "DEU", "DEU", "ARM", "ARM", "GEO"],
            "concept": ["residence-permits"] * 3 + ["stock-abroad"] * 3,
            "value": [1000.0, 2000.0, 3000.0, 40000.0, 110000.0, 74000.0],
        }
    )
    names = {"DEU": "Germany", "ARM": "Armenia", "GEO": "Georgia"}
    alt = alt_texts.hosts_alt(data, names)
    assert "Germany has the most figures (3)" in alt
    assert "3 host countries" in alt and "6 published figures" in alt
    assert "people still abroad from 40,000 to 110,000" in alt
    more = pd.concat([data, data[data["geography"] == "ARM"]], ignore_index=True)
    assert "Armenia has the most figures (4)" in alt_texts.hosts_alt(more, names)


def test_alt_texts_quote_only_numbers_of_their_data():
    claims = pd.DataFrame(
        {"year": [2021, 2022, 2023], "persons": [9000, 36000, 71234], "cases": [None, 12, 3]}
    )
    alt = alt_texts.claims_alt(claims)
    assert "2021 to 2023" in alt and "highest in 2023 (71,234)" in alt and "at most 12" in alt
    numbers = set(re.findall(r"\d+(?:,\d{3})*", alt))
    assert numbers <= {"2021", "2023", "71,234", "12"}, numbers
    ud = pd.DataFrame(
        {
            "year": [2024, 2025, 2026],
            "designations": [5, 9, 2],
            "undesirable_designations": [7, 3, 1],
            "partial": [False, False, True],
            "period_end": pd.to_datetime(["2024-12-31", "2025-12-31", "2026-07-10"]),
        }
    )
    alt = alt_texts.machinery_alt(ud)
    assert "most in 2025 (9)" in alt and "most in 2024 (7)" in alt
    assert "2026, is partial (to 10 July 2026)" in alt
    assert "partial" not in alt_texts.machinery_alt(ud.assign(partial=False))


def test_rates_and_sensitivity_alts_follow_the_data():
    shown = pd.DataFrame(
        {"asylum_name": ["A", "B", "C"], "protection_rate": [0.002, 0.5, float("nan")]}
    )
    alt = alt_texts.rates_alt(shown)
    assert "from 0.2% in A to 50% in B" in alt  # a small rate is not printed as 0%
    sens = pd.DataFrame(
        {
            "assumption": ["Figure for X", "Figure for Y"],
            "low_total": [90.0, 50.0],
            "high_total": [110.0, 160.0],
            "swing": [20.0, 110.0],
        }
    )
    alt = alt_texts.sensitivity_alt(sens, 100)
    assert "central sum, 100" in alt and "“Figure for Y”, runs from 50 to 160" in alt


# ------------------------------------------------------------------ present tense at the cut-off


def _policies(ended=None):
    return pd.DataFrame(
        {
            "policy_id": ["P1", "P2", "P3"],
            "jurisdiction": ["FIN", "FIN", "EUU"],
            "kind": ["measure", "measure", "event"],
            "date_announced": pd.to_datetime([None, None, None]),
            "date_in_force": pd.to_datetime(["2023-11-30", "2024-07-22", "2024-02-29"]),
            "date_ended": pd.to_datetime([ended, None, None]),
            "date_announced_precision": [None] * 3,
            "date_in_force_precision": ["day"] * 3,
            "date_ended_precision": ["day" if ended else None, None, None],
        }
    )


def test_in_force_lists_only_what_holds_on_the_day():
    p = _policies()
    assert list(hs.in_force(p, "2026-11-30", ids=("P1", "P2"))["policy_id"]) == ["P1", "P2"]
    assert list(hs.in_force(p, "2024-01-01", ids=("P1", "P2"))["policy_id"]) == ["P1"]
    ended = _policies(ended="2026-06-30")
    assert list(hs.in_force(ended, "2026-11-30", ids=("P1", "P2"))["policy_id"]) == ["P2"]
    assert hs.in_force(p, "2026-11-30", jurisdiction="EUU").empty  # an event is never in force


def test_chapters_state_no_ended_law_or_measure_in_the_present():
    """Phrases the data no longer bear out at the cut-off (issue 17): the regulation applies
    since 1 July 2026; Finland's measures are dated and their present is conditional."""
    stale = (
        "is being replaced by a regulation",
        "is repealed with effect from",
        "is itself replaced by Regulation",
        "accepts asylum claims only at airports",
        "humanitarian route opened in May 2022 is small",
        "Parliament's calls — apply in every member state",
    )
    root = Path(__file__).resolve().parents[1]
    for nb, module in CHAPTER_MODULES.values():
        text = re.sub(r"\\n\"\s*,?\s*\"", " ", (root / nb).read_text(encoding="utf-8"))
        text = re.sub(r"\s+", " ", text)
        for phrase in stale:
            assert phrase not in text, (nb, phrase)


# ------------------------------------------------------------------ how many chapters

_COUNTS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@pytest.mark.parametrize("name", ["chapters/A2-reproducing.qmd", "README.md"])
def test_no_page_miscounts_the_declared_chapters(name):
    """A2 (partly generated) and the README said "the four chapters" after a fifth was added: a
    count of the chapters, where one is given, is the number declared in CHAPTER_MODULES."""
    declared = sum(1 for _, module in CHAPTER_MODULES.values() if module is not None)
    text = (Path(__file__).resolve().parents[1] / name).read_text(encoding="utf-8")
    for word in re.findall(rf"\bthe ({'|'.join(_COUNTS)}) chapter", text, flags=re.IGNORECASE):
        assert _COUNTS.index(word.lower()) + 1 == declared, (name, word, declared)
