"""Who left, and why: the survey table's contract and the helpers on hand-made inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from exile_report import paths
from exile_report.analysis import motives as M
from exile_report.data import load
from exile_report.source_policy import load_tiers, parse_bib, tier_of


def _rows(rows) -> pd.DataFrame:
    cols = [
        "figure_id",
        "producer",
        "measure",
        "topic",
        "period_start",
        "period_end",
        "value",
        "unit",
        "bound",
        "citation_key",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["period_start"] = pd.to_datetime(df["period_start"])
    df["period_end"] = pd.to_datetime(df["period_end"])
    return df


def test_value_text_keeps_the_sources_qualifier():
    df = _rows(
        [
            ("S1", "P", "m", "t", "2023-01-01", "2023-12-31", 78, "percent", "up-to", "k"),
            ("S2", "P", "m", "t", "2023-01-01", "2023-12-31", 0.333333, "share", "about", "k"),
            ("S3", "P", "m", "t", "2023-01-01", "2023-12-31", 16437, "detentions", "at-least", "k"),
            ("S4", "P", "m", "t", "2023-01-01", "2023-12-31", 0.42, "share", "exact", "k"),
            ("S5", "P", "m", "t", "2023-01-01", "2023-12-31", 848, "defendants", "exact", "k"),
        ]
    )
    texts = [M.value_text(M.figure(df, f)) for f in df["figure_id"]]
    assert texts == ["up to 78%", "about a third", "at least 16,437", "42%", "848"]
    assert M.quote(df, "S1") == "up to 78% [@k]"


def test_missing_figure_names_the_table_and_id():
    df = _rows([])
    with pytest.raises(M.SurveyError, match=r"surveys\.csv: no row 'S999'"):
        M.figure(df, "S999")


def test_share_of_refuses_counts():
    df = _rows([("S1", "P", "m", "t", "2023-01-01", "2023-12-31", 848, "defendants", "exact", "k")])
    with pytest.raises(ValueError, match="not a share"):
        M.share_of(M.figure(df, "S1"))


def test_disagreements_pairs_only_the_same_measure_in_overlapping_periods():
    df = _rows(
        [
            # same producer and measure, overlapping, different values: a disagreement
            ("S1", "P", "fear", "fear", "2022-03-01", "2023-08-31", 78, "percent", "up-to", "k"),
            ("S2", "P", "fear", "fear", "2023-06-01", "2023-08-31", 0.5, "share", "more-than", "k"),
            # same measure but a period that does not overlap: a change over time, not a conflict
            ("S3", "P", "fear", "fear", "2024-06-01", "2024-08-31", 60, "percent", "about", "k"),
            # another measure of the same topic: different questions may differ
            (
                "S4",
                "P",
                "returned",
                "return",
                "2023-06-01",
                "2024-08-31",
                8,
                "percent",
                "about",
                "k",
            ),
            ("S5", "P", "intend", "return", "2023-06-01", "2024-08-31", 5, "percent", "about", "k"),
            # another producer, same measure
            ("S6", "Q", "fear", "fear", "2023-06-01", "2023-08-31", 20, "percent", "about", "k"),
            # equal values do not disagree
            ("S7", "P", "fear", "fear", "2023-07-01", "2023-07-31", 0.78, "share", "about", "k"),
        ]
    )
    assert M.disagreements(df) == [("S1", "S2"), ("S2", "S7")]


def test_largest_rise_finds_the_spike_year_before_the_war():
    yearly = pd.DataFrame(
        {
            "year": [2010, 2011, 2012, 2013, 2014, 2022, 2023],
            "new_persons": [100, 120, 110, 300, 150, 900, 2000],
        }
    )
    r = M.largest_rise(yearly, before=2022)
    assert (r["year"], r["count"], r["previous"]) == (2013, 300, 110)
    assert r["ratio"] == pytest.approx(300 / 110)
    # a gap of years is not a rise from one year to the next
    gap = pd.DataFrame({"year": [2010, 2012], "new_persons": [10, 1000]})
    assert M.largest_rise(gap, before=2022) is None


def test_top_destinations_counts_new_claims_by_persons_only():
    apps = pd.DataFrame(
        {
            "year": [2013] * 5,
            "origin_iso3": ["RUS"] * 5,
            "asylum_iso3": ["DEU", "DEU", "POL", "FRA", "AUT"],
            "asylum_name": ["Germany", "Germany", "Poland", "France", "Austria"],
            "app_type": ["N", "N", "N", "V", "N"],
            "app_pc": ["P", "P", "P", "P", "C"],
            "applied": [10, 5, 12, 100, 50],
        }
    )
    top = M.top_destinations(apps, "RUS", 2013)
    assert top["asylum_iso3"].tolist() == ["DEU", "POL"]
    assert top["applied"].tolist() == [15, 12]
    assert top["share"].tolist() == pytest.approx([15 / 27, 12 / 27])


# ---------------------------------------------------------------- the curated table itself


def test_every_survey_figure_rests_on_a_tier_a_or_b_source():
    surveys = load("surveys")
    entries = {e.key: e for e in parse_bib(paths.REFERENCES_BIB.read_text(encoding="utf-8"))}
    tiers = load_tiers()
    for r in surveys.itertuples():
        tier = tier_of(entries[r.citation_key].address, tiers)
        assert tier in ("A", "B"), (r.figure_id, r.citation_key, tier)


def test_survey_table_states_its_only_known_disagreement():
    """The OutRush fear figures disagree ('up to 78%' against 'more than 50%'); the chapter says
    so. A new disagreement must be looked at, not slip into the prose unnoticed."""
    assert M.disagreements(load("surveys")) == [("S004", "S007")]


def test_every_method_and_bound_in_the_table_has_reader_words():
    surveys = load("surveys")
    assert set(surveys["method"]) <= set(M.METHODS)
    assert set(surveys["bound"]) <= set(M.BOUND_WORDS)


def test_evidence_table_keeps_the_order_of_the_topics_asked_for():
    df = _rows(
        [
            ("S1", "P", "a", "return", "2023-01-01", "2023-12-31", 8, "percent", "about", "k"),
            ("S2", "P", "b", "fear", "2024-01-01", "2024-12-31", 50, "percent", "more-than", "k"),
            ("S3", "P", "c", "fear", "2022-01-01", "2022-12-31", 78, "percent", "up-to", "j"),
            ("S4", "P", "d", "sample", "2022-01-01", "2022-12-31", 10, "respondents", "exact", "k"),
        ]
    )
    df = df.assign(
        question=["q1", "q2", "q3", "q4"],
        period_label=["l1", "l2", "l3", "l4"],
        method="online-panel",
    )
    table = M.evidence_table(df, ("fear", "return"))
    assert table["Figure"].tolist() == ["q3", "q2", "q1"]  # fear by period, then return
    assert table["Value"].tolist() == ["up to 78%", "more than 50%", "about 8%"]
    assert table["Source"].tolist() == ["[@j]", "[@k]", "[@k]"]
