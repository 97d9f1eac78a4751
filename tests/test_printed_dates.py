"""Every coverage, "as of" and snapshot date the built book prints agrees with the source
register (``data/sources.yml``), the hand-compiled tables and the edition's cut-off, every chapter
states its cut-off, and the preface and the chapters print the same day for the same fact
(issue 17). The checker itself is shown to fail on hand-made pages with one wrong date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from _data_helpers import ROOT
from _printed_dates import (
    agreement_problems,
    check_dates,
    expected,
    html_pages,
    pdf_text,
    show,
)
from exile_report.coverage import CHAPTER_TABLES
from exile_report.params import CHAPTER_MODULES

#: The pages that must open with what their data cover and the edition's cut-off: the preface
#: and every chapter declared in coverage.CHAPTER_TABLES (a new chapter is checked once declared).
OPENING = ["index.html"] + [
    f"chapters/{Path(CHAPTER_MODULES[chapter][0]).stem}.html"
    for chapter in CHAPTER_TABLES
    if chapter != "index"
]
APPENDIX = "chapters/A1-data-sources.html"


@pytest.fixture(scope="module")
def exp():
    return expected(ROOT)


# ------------------------------------------------------------------ the built book


@pytest.mark.slow
def test_every_printed_date_agrees_with_the_register_html(reader_repo, exp):
    pages = html_pages(reader_repo / "_book")
    report = check_dates(pages, exp)
    assert report.problems == []
    for page in OPENING:
        # each chapter says what its data cover (a dated source at least) and the cut-off
        assert {"coverage", "cutoff"} <= report.rules_on(page), (page, report.rules_on(page))
        assert pages[page].count("The edition takes in events to") == 1, page
    assert {"cutoff", "sources-table", "data-to"} <= report.rules_on(APPENDIX)
    # the appendix dates every dated source of the register, in its table and its sections
    assert report.checked[APPENDIX, "data-to"] == len(exp.titles)
    # the registers' snapshot days printed in chapter 1 and the preface were checked
    assert report.checked["chapters/01-history.html", "snapshot"] >= 2
    assert report.checked["index.html", "snapshot"] >= 2


def test_every_printed_date_agrees_with_the_register_pdf(built_repo, exp):
    text = pdf_text(built_repo / "_book" / "exile-report.pdf")
    report = check_dates({"exile-report.pdf": text}, exp, labels=False)
    assert report.problems == []
    # the preface, four chapters and the data appendix each state the cut-off
    assert report.checked["exile-report.pdf", "cutoff"] == len(OPENING) + 1
    assert report.checked["exile-report.pdf", "coverage"] >= len(OPENING)
    assert report.checked["exile-report.pdf", "data-to"] == len(exp.titles)


@pytest.mark.slow
def test_the_preface_and_the_chapters_agree_on_every_date(reader_repo):
    pages = html_pages(reader_repo / "_book")
    chapters = {p: pages[p] for p in OPENING[1:]}
    problems, compared = agreement_problems(pages["index.html"], chapters)
    assert problems == []
    # both registers' counts and the coverage dates of the sources the preface shares
    assert compared >= 4


# ------------------------------------------------------------------ the checker, on made-up pages


def _good_page(exp) -> dict[str, str]:
    label, until = next(iter(exp.sources.items()))
    other, other_until = list(exp.sources.items())[1]
    table, latest = next(iter(exp.curated.items()))
    title = next(t for t, d in exp.titles.items() if d == until)
    chapter = (
        f"1 A chapter This chapter's data run to {show(until)} for the {label} ( Producer 2026 ) "
        f"and {show(other_until)} for the {other} ( Producer 2025 ) . The table compiled by the "
        f"report team reaches {show(latest)} ( {table} ), its latest dated entry. The edition "
        f"takes in events to {show(exp.cutoff)}, its cut-off. The register held 1,226 entries "
        f"on {show(until)}, as of {show(exp.cutoff)}; the two registers are snapshots of "
        f"different dates ({show(until)} and {show(other_until)}). Someone left on 9 April 1917."
    )
    appendix = (
        f"A Data and sources {label} ( Producer 2026 ) {show(until)} Chapter 1 "
        f"{title} Producer: Someone Published: 1 January 2020; data to: {show(until)} Licence"
    )
    return {"chapter.html": chapter, "appendix.html": appendix}


def test_the_checker_passes_a_page_with_the_registers_dates(exp):
    report = check_dates(_good_page(exp), exp)
    assert report.problems == []
    assert report.rules_on("chapter.html") == {"coverage", "curated", "cutoff", "snapshot", "as-of"}
    assert report.rules_on("appendix.html") == {"sources-table", "data-to"}


WRONG = pd.Timestamp("2024-08-27")  # the undesirable list's last inclusion, not a snapshot day


@pytest.mark.parametrize(
    "page, find, replace_with, message",
    [
        ("chapter.html", "run to {until}", "run to {wrong}", "the date of '{label}' printed as"),
        ("chapter.html", "reaches {latest}", "reaches {wrong}", "the latest entry of"),
        ("chapter.html", "events to {cutoff}", "events to {wrong}", "the cut-off printed as"),
        ("chapter.html", "entries on {until}", "entries on {wrong}", "a snapshot date printed"),
        ("chapter.html", "as of {cutoff}", "as of {wrong}", "an 'as of' date printed as"),
        ("chapter.html", "dates ({until}", "dates ({wrong}", "a snapshot date printed as"),
        ("appendix.html", "data to: {until}", "data to: {wrong}", "printed as {wrong}, but"),
        ("appendix.html", ") {until} Chapter", ") {wrong} Chapter", "printed as {wrong}, but"),
        ("chapter.html", "for the {label} (", "for the Register of nothing (", "names no dated"),
    ],
)
def test_the_checker_fails_on_one_wrong_date(exp, page, find, replace_with, message):
    label, until = next(iter(exp.sources.items()))
    values = {
        "until": show(until),
        "latest": show(next(iter(exp.curated.values()))),
        "cutoff": show(exp.cutoff),
        "wrong": show(WRONG),
        "label": label,
    }
    pages = _good_page(exp)
    assert find.format(**values) in pages[page]
    pages[page] = pages[page].replace(find.format(**values), replace_with.format(**values), 1)
    report = check_dates(pages, exp)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith(f"{page}: ")
    assert message.format(**values) in report.problems[0]


def test_without_names_the_checker_still_wants_one_of_the_sources_dates(exp):
    """The PDF's text: a coverage date must be some source's date."""
    pages = _good_page(exp)
    assert check_dates(pages, exp, labels=False).problems == []
    until = next(iter(exp.sources.values()))
    pages["chapter.html"] = pages["chapter.html"].replace(
        f"run to {show(until)}", f"run to {show(WRONG)}"
    )
    problems = check_dates(pages, exp, labels=False).problems
    assert len(problems) == 1 and "a source's date printed as 27 August 2024" in problems[0]


def test_agreement_fails_when_the_preface_dates_a_count_differently():
    """The issue's case: the preface's '188 entries on 27 August 2024' (the last inclusion)
    against chapter 1's '188 organisations on 5 September 2024' (the snapshot)."""
    index = "The list of undesirable organisations held 188 entries on 27 August 2024."
    chapter = "The list held 188 organisations on 5 September 2024, 150 of them since 2022."
    problems, compared = agreement_problems(index, {"chapters/01-history.html": chapter})
    assert compared == 1
    assert problems == [
        (
            "the count 188: the preface dates it ['27 August 2024'], chapters/01-history.html "
            "['5 September 2024']"
        )
    ]
    same = chapter.replace("5 September 2024", "27 August 2024")
    assert agreement_problems(index, {"ch.html": same}) == ([], 1)


def test_agreement_fails_when_a_source_is_dated_differently():
    index = "The data run to 10 July 2026 for the Register of X ( M 2026 ) . The edition"
    chapter = "This chapter's data run to 15 August 2025 for the Register of X ( M 2025 ) . The"
    problems, _ = agreement_problems(index, {"ch.html": chapter})
    assert problems == [
        "'Register of X': the preface prints ['10 July 2026'], ch.html prints ['15 August 2025']"
    ]


def test_agreement_fails_when_the_preface_states_a_count_no_chapter_has():
    problems, _ = agreement_problems("It held 999 entries on 3 July 2026.", {"ch.html": "None."})
    assert problems == ["the preface's 999 (on ['3 July 2026']) is in no chapter"]
