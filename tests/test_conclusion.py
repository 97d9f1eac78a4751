"""The closing chapter's comparisons on hand-made inputs: per capita only with a sourced
denominator, periods, and the returns range without tier-C figures."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import pytest

from exile_report.analysis import conclusion as C


def _pop(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["geography", "date", "value", "citation_key"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def _waves(rows) -> pd.DataFrame:
    cols = [
        "compare_group",
        "estimator",
        "period_start",
        "period_end",
        "concept",
        "low",
        "central",
        "high",
        "grade",
        "citation_key",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["period_start"] = pd.to_datetime(df["period_start"])
    df["period_end"] = pd.to_datetime(df["period_end"])
    return df


@dataclass(frozen=True)
class _Head:
    low: float
    central: float
    high: float
    concept: str
    as_of: str
    source_keys: tuple


def test_per_capita_refuses_a_missing_population():
    assert C.per_capita(1_000, 100_000) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="positive"):
        C.per_capita(1_000, 0)


def test_present_comparison_uses_the_population_on_the_eve_of_the_invasion():
    pop = _pop(
        [
            ("RUS", "2022-01-01", 150_000_000, "rp_2023_rosstatpopulation"),
            ("RUS", "2019-02-01", 145_000_000, "herbst_2019_putinexodus"),
        ]
    )
    head = _Head(300_000, 400_000, 600_000, "people still abroad", "2024-02-24", ("k",))
    c = C.present_comparison(head, pop, pd.Timestamp("2022-02-24"))
    assert (c.share_low, c.share_high) == pytest.approx((0.002, 0.004))
    assert c.years == pytest.approx(730 / 365.25)
    assert c.per_year == pytest.approx((300_000 / c.years, 600_000 / c.years))
    assert c.source_keys == ("k", "rp_2023_rosstatpopulation")


def test_an_earlier_wave_gets_a_share_only_from_its_own_sources_denominator():
    pop = _pop([("RUS", "2019-02-01", 145_000_000, "atlantic")])
    waves = _waves(
        [
            (
                "W7",
                "Atlantic Council",
                "2000-01-01",
                "2018-12-31",
                "left for the West",
                1_600_000,
                None,
                2_000_000,
                "A",
                "atlantic",
            ),
            (
                "W3",
                "Sabennikova",
                "1917-01-01",
                None,
                "refugees",
                None,
                2_000_000,
                None,
                "B",
                "sab",
            ),
            ("W3", "Kovalevsky", "1917-01-01", None, "left", None, 1_000_000, None, "A", "kov"),
            (
                "W3",
                "A blog",
                "1917-01-01",
                "1920-12-31",
                "left",
                None,
                3_000_000,
                None,
                "C",
                "blog",
            ),
        ]
    )
    putin = C.earlier_comparison(C.wave_row(waves, "W7", "Atlantic"), "Putin era", pop)
    assert (putin.share_low, putin.share_high) == pytest.approx((1.6 / 145, 2 / 145))
    white = C.group_comparison(waves, "W3", "White emigration", pop)
    # the tier-C row (3 million) is left out; no sourced denominator, no end date
    assert (white.low, white.high) == (1_000_000, 2_000_000)
    assert white.share_low is None and white.share_high is None
    assert math.isnan(white.years)
    table = C.comparison_table([putin, white])
    assert table["Share of population, low"].isna().tolist() == [False, True]


def test_wave_row_refuses_ambiguity():
    waves = _waves(
        [
            ("W7", "Atlantic A", "2000-01-01", "2018-12-31", "x", 1, None, 2, "A", "a"),
            ("W7", "Atlantic B", "2000-01-01", "2018-12-31", "x", 1, None, 2, "A", "b"),
        ]
    )
    with pytest.raises(LookupError, match="expected one W7 row"):
        C.wave_row(waves, "W7", "Atlantic")


def test_returns_range_leaves_out_tier_c_claims():
    est = pd.DataFrame(
        {
            "concept": ["returns-share"] * 3 + ["departures"],
            "low": [None, 0.26, None, 1.0],
            "central": [0.5, None, 0.08, None],
            "high": [None, 0.40, None, 2.0],
            "grade": ["C", "B", "B", "A"],
            "citation_key": ["putin", "izv;copy", "outrush", "x"],
        }
    )
    r = C.returns_range(est)
    assert (r["low"], r["high"], r["n"]) == (0.08, 0.40, 2)
    assert r["keys"] == ["izv", "copy", "outrush"]
