"""Chapter 1 (history): the computations on hand-made inputs, on the real registers and UNHCR
data, the parameter checks, and the notebook run with non-default parameters."""

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from exile_report.analysis import history as h
from exile_report.analysis import history_figures as hf
from exile_report.coverage import table_until
from exile_report.data import load
from exile_report.params import CHAPTER_MODULES, ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]


def _tl(rows):
    df = pd.DataFrame(
        rows,
        columns=[
            "event_id",
            "date",
            "date_precision",
            "end_date",
            "wave",
            "category",
            "title",
            "description",
            "citation_key",
        ],
    )
    df["date"] = pd.to_datetime(df["date"])
    df["end_date"] = pd.to_datetime(df["end_date"])
    return df


TL = _tl(
    [
        ("T001", "1822-01-01", "year", None, "tsarist", "law", "Statute", "exile statute", "a"),
        (
            "T002",
            "1881-01-01",
            "year",
            "1914-12-31",
            "tsarist",
            "emigration-wave",
            "Jews leave",
            "x",
            "b;c",
        ),
        ("T003", "1922-09-28", "day", None, "revolution-white", "expulsion", "Ships", "x", "c"),
        (
            "T004",
            "2012-07-20",
            "day",
            None,
            "putin-2011-2021",
            "law",
            "Foreign agent law",
            "foreign agents must register",
            "d",
        ),
        ("T005", "2012-12-14", "day", None, "putin-2011-2021", "law", "US trade law", "trade", "e"),
        ("T006", "2022-03-04", "day", None, "invasion-2022", "law", "Fakes law", "censorship", "f"),
    ]
)


# ------------------------------------------------------------------------- timeline, unit


def test_select_events_by_years_and_categories():
    got = h.select_events(TL, 1900, 2025, ["law", "expulsion", "emigration-wave"])
    # the 1881-1914 emigration overlaps 1900 through its end date; the 1822 law does not
    assert list(got["event_id"]) == ["T002", "T003", "T004", "T005", "T006"]
    assert list(h.select_events(TL, 1700, 2030, ["expulsion"])["event_id"]) == ["T003"]
    assert h.select_events(TL, 1950, 1960, list(h.CATEGORIES)).empty


def test_wave_spans_cover_first_to_last_event():
    spans = h.wave_spans(h.select_events(TL, 1700, 2030, list(h.CATEGORIES))).set_index("wave")
    assert spans.loc["tsarist", "start"] == pd.Timestamp("1822-01-01")
    assert spans.loc["tsarist", "end"] == pd.Timestamp("1914-12-31")  # an end date counts
    assert spans.loc["putin-2011-2021", "events"] == 2
    assert list(spans.index) == ["tsarist", "revolution-white", "putin-2011-2021", "invasion-2022"]


def test_timeline_ranges_split_at_1991_and_2022():
    assert hf.timeline_ranges(1822, 2025) == [(1822, 1990), (1991, 2021), (2022, 2025)]
    assert hf.timeline_ranges(1991, 2025) == [(1991, 2021), (2022, 2025)]
    assert hf.timeline_ranges(1900, 1950) == [(1900, 1950)]
    assert hf.timeline_ranges(2022, 2022) == [(2022, 2022)]


def test_choose_labels_never_overlap_and_respect_priority():
    xs = [0.0, 0.5, 1.0, 10.0]
    chosen = hf.choose_labels(xs, ["aa", "bb", "cc", "dd"], [1, 0, 1, 1], lambda t: 2.0, rows=1)
    assert 1 in chosen  # highest priority placed first
    assert 0 not in chosen and 2 not in chosen  # both collide with it
    assert 3 in chosen
    two = hf.choose_labels(xs, ["aa", "bb", "cc", "dd"], [1, 0, 1, 1], lambda t: 2.0, rows=2)
    assert {r for r, _ in two.values()} == {0, 1}
    inside = hf.choose_labels([0.0], ["a"], [0], lambda t: 2.0, bounds=(0.0, 5.0))
    assert inside[0] == (0, 1.0)  # pushed right so the label does not stick out


def test_legal_steps_keep_machinery_laws_in_range():
    steps = h.legal_steps(TL, list(range(2012, 2026)), until=pd.Timestamp("2025-08-15"))
    assert list(steps["event_id"]) == ["T004", "T006"]  # the US trade law is not machinery
    assert h.legal_steps(TL, list(range(2012, 2022))).event_id.tolist() == ["T004"]
    assert h.legal_steps(TL, []).empty


def test_event_and_citations():
    ev = h.event(TL, "T002")
    assert ev.cite == "[@b; @c]" and ev.date == "1881" and ev.year == 1881
    assert h.event(TL, "T003").date == "28 September 1922"
    with pytest.raises(KeyError):
        h.event(TL, "T999")
    assert h.citations(TL.iloc[1:3]) == "[@b; @c]"
    events = h.Events(TL)
    assert events.T002 == ev
    with pytest.raises(AttributeError, match="timeline has no event T999"):
        _ = events.T999


# -------------------------------------------------------------------- wave estimates, unit


def _we(rows):
    df = pd.DataFrame(
        rows,
        columns=[
            "wave",
            "estimator",
            "period_start",
            "period_end",
            "concept",
            "low",
            "central",
            "high",
            "unit",
            "citation_key",
            "grade",
            "compare_group",
        ],
    )
    for c in ("period_start", "period_end"):
        df[c] = pd.to_datetime(df[c])
    return df


WE = _we(
    [
        (
            "revolution-white",
            "A",
            "1917-01-01",
            None,
            "emigrants",
            900000,
            None,
            2000000,
            "persons",
            "a",
            "C",
            "W3",
        ),
        (
            "revolution-white",
            "B",
            "1917-01-01",
            None,
            "refugees",
            None,
            2000000,
            None,
            "persons",
            "b",
            "B",
            "W3",
        ),
        (
            "revolution-white",
            "C",
            "1920-11-13",
            "1920-11-16",
            "evacuated",
            None,
            145693,
            None,
            "persons",
            "c",
            "C",
            "W3",
        ),
        (
            "soviet-deportations-dissidents",
            "D",
            "1972-01-01",
            "1973-12-31",
            "per year",
            30000,
            None,
            None,
            "persons-per-year",
            "d",
            "B",
            None,
        ),
        (
            "mobilisation-2022",
            "E",
            "2022-09-21",
            "2022-10-05",
            "left",
            600000,
            None,
            1000000,
            "persons",
            "e",
            "C",
            "W8",
        ),
    ]
)


def test_size_estimates_drop_single_episodes_and_rates():
    est = h.size_estimates(h.select_wave_estimates(WE, 1700, 2030))
    # the 3-day evacuation and the yearly rate go; the short 2022 wave stays
    assert list(est["estimator"]) == ["A", "B", "E"]
    assert list(est["low_shown"]) == [900000, 2000000, 600000]
    assert list(est["high_shown"]) == [2000000, 2000000, 1000000]


def test_select_wave_estimates_by_period_and_spread():
    assert list(h.select_wave_estimates(WE, 2000, 2030)["estimator"]) == ["A", "B", "E"]
    # open-ended 1917 periods overlap any later range; 1920 evacuation does not reach 1950
    assert list(h.select_wave_estimates(WE, 1950, 1960)["estimator"]) == ["A", "B"]
    w3 = h.size_estimates(h.select_wave_estimates(h.dossier_group(WE, "W3"), 1700, 2030))
    s = h.spread(w3)
    assert (s["low"], s["high"], s["n"]) == (900000, 2000000, 2)
    assert s["ratio"] == pytest.approx(2000000 / 900000)
    assert s["cite"] == "[@a; @b]"
    assert h.spread(w3.iloc[0:0]) is None


def test_bounds_are_printed_as_bounds_not_points():
    we = _we(
        [
            (
                "tsarist",
                "up",
                "1831-01-01",
                "1870-12-31",
                "x",
                None,
                None,
                6000,
                "persons",
                "a",
                "C",
                None,
            ),
            (
                "tsarist",
                "more",
                "1863-01-01",
                "1864-12-31",
                "y",
                20000,
                None,
                None,
                "persons",
                "b",
                "B",
                None,
            ),
            (
                "tsarist",
                "range",
                "1831-01-01",
                None,
                "z",
                5000,
                None,
                9000,
                "persons",
                "c",
                "C",
                None,
            ),
            (
                "tsarist",
                "one",
                "1999-01-01",
                "1999-12-31",
                "w",
                None,
                215000,
                None,
                "persons",
                "d",
                "B",
                None,
            ),
        ]
    )
    est = h.select_wave_estimates(we, 1700, 2030)
    got = dict(zip(est["estimator"], est["bound"]))
    assert got == {"up": "upper", "more": "lower", "range": "range", "one": "point"}
    t = h.wave_estimates_table(est).set_index("What is counted")
    assert t.loc["x", "Figure"] == "up to 6,000"
    assert t.loc["y", "Figure"] == "more than 20,000"
    assert t.loc["z", "Figure"] == "5,000–9,000"
    assert t.loc["w", "Figure"] == "215,000"
    assert (t.loc["x", "Years"], t.loc["z", "Years"], t.loc["w", "Years"]) == (
        "1831–1870",
        "from 1831",
        "1999",
    )


def test_wave_chart_labels_are_whole():
    long = "Soviet and post-Soviet Jews and relatives who left, all destinations, counted twice"
    we = _we(
        [
            (
                "tsarist",
                "A",
                "1831-01-01",
                "1870-12-31",
                long,
                5000,
                None,
                9000,
                "persons",
                "a",
                "C",
                None,
            ),
            (
                "tsarist",
                "B",
                "1831-01-01",
                "1870-12-31",
                "short",
                None,
                None,
                6000,
                "persons",
                "b",
                "B",
                None,
            ),
        ]
    )
    fig = hf.plot_wave_estimates(h.select_wave_estimates(we, 1700, 2030))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all("…" not in lab for lab in labels)
    assert " ".join(labels[0].split()) == long  # every word kept, wrapped onto lines
    assert all(len(line) <= hf.LABEL_WRAP for line in labels[0].splitlines())
    # the upper bound is drawn as a left-pointing marker, not as a dot
    assert any(line.get_marker() == "<" for line in fig.axes[0].lines)


# ------------------------------------------------------------------------- registers, unit


FA = pd.DataFrame(
    {
        "date": pd.to_datetime(
            ["2013-06-27", "2021-05-01", "2022-02-24", "2022-02-23", "2023-01-01"]
        ),
        "event": ["designation", "designation", "designation", "designation", "removal"],
        "agent_type": ["legal-entity", "individual", "individual", "legal-entity", "legal-entity"],
        "legal_basis": ["x"] * 5,
        "count": pd.array([2, 3, 5, 1, 2], dtype="Int64"),
    }
)


FA_YEAR = pd.DataFrame(
    {
        "year": [2013, 2021, 2022, 2023],
        "designations": [2, 3, 6, 4],
        "designations_individuals": [0, 3, 5, 1],
        "removals": [0, 0, 0, 2],
        "period_end": pd.to_datetime(["2013-12-31", "2021-12-31", "2022-12-31", "2023-03-15"]),
        "partial_year": [False, False, False, True],
    }
)


def test_register_per_year_counts_zero_years_and_partial_year():
    reg = h.register_per_year(FA_YEAR, [2012, 2013, 2021, 2022, 2023])
    assert list(reg["designations"]) == [0, 2, 3, 6, 4]
    assert list(reg["individuals"]) == [0, 0, 3, 5, 1]
    assert list(reg["organisations"]) == [0, 2, 0, 1, 3]
    assert list(reg["removals"]) == [0, 0, 0, 0, 2]
    # only the snapshot's own year is partial, and it ends on the table's period_end
    assert list(reg["partial"]) == [False, False, False, False, True]
    assert reg["period_end"].iloc[-1] == pd.Timestamp("2023-03-15")
    assert reg["period_end"].iloc[1] == pd.Timestamp("2013-12-31")
    assert h.partial_years(FA_YEAR) == {2023: pd.Timestamp("2023-03-15")}
    assert h.partial_years(FA_YEAR.assign(partial_year=False)) == {}


def test_individual_shares_before_and_after_a_year():
    reg = h.register_per_year(FA_YEAR, [2013, 2021, 2022, 2023])
    s = h.individual_shares(reg, 2021)
    assert (s["early"], s["late"]) == (2, 13)
    assert s["early_share"] == 0 and s["late_share"] == pytest.approx(9 / 13)


def test_register_summary_share_after_invasion():
    s = h.register_summary(FA)
    assert (s["total"], s["after"], s["removed"], s["listed"]) == (11, 5, 2, 9)
    assert s["share_after"] == pytest.approx(5 / 11)  # the invasion day itself counts as after
    assert (s["peak_year"], s["peak_count"]) == (2022, 6)


def test_register_by_type_totals():
    t = h.register_by_type(FA).set_index("Type")
    assert t.loc["Individuals", "Entries"] == 8 and t.loc["Individuals", "Since invasion"] == 5
    assert t.loc["Legal entities", "Removed"] == 2 and t.loc["Legal entities", "Still listed"] == 1
    assert t.loc["All types", "Entries"] == 11
    assert t.loc["All types", "Share since invasion"] == pytest.approx(5 / 11)


def test_undesirable_per_year_and_summary():
    ud = pd.DataFrame(
        {
            "date": pd.to_datetime(["2015-07-29", "2015-12-01", "2023-03-01"]),
            "org_country_iso3": pd.array([None, "USA", "USA"], dtype="string"),
            "count": pd.array([1, 2, 4], dtype="Int64"),
        }
    )
    per = pd.DataFrame(
        {
            "year": [2015, 2023],
            "designations": [3, 4],
            "period_end": pd.to_datetime(["2015-12-31", "2023-03-01"]),
            "partial_year": [False, True],
        }
    )
    und = h.undesirable_per_year(per, [2015, 2016, 2023])
    assert list(und["designations"]) == [3, 0, 4]
    assert list(und["partial"]) == [False, False, True]
    s = h.undesirable_summary(ud)
    assert (s["total"], s["after"], s["top_country"], s["top_country_count"]) == (7, 4, "USA", 6)


def test_plot_machinery_hatches_the_partial_year_and_labels_its_end():
    reg = h.register_per_year(FA_YEAR, [2013, 2021, 2022, 2023])
    per = pd.DataFrame(
        {
            "year": [2013, 2023],
            "designations": [1, 5],
            "period_end": pd.to_datetime(["2013-12-31", "2023-03-01"]),
            "partial_year": [False, True],
        }
    )
    und = h.undesirable_per_year(per, [2013, 2021, 2022, 2023])
    steps = TL.iloc[0:0]
    fig = hf.plot_machinery(reg, und, steps, pd.Timestamp("2023-03-15"), pd.Timestamp("2023-03-01"))
    _, ax_f, ax_u = fig.axes[:3]
    for ax in (ax_f, ax_u):
        bars = [p for p in ax.patches if p.get_height() != 0]
        hatched = {round(p.get_x() + p.get_width() / 2) for p in bars if p.get_hatch()}
        solid = {round(p.get_x() + p.get_width() / 2) for p in bars if not p.get_hatch()}
        assert hatched == {2023}, hatched  # the partial year, and only it
        assert 2023 not in solid
    texts = [t.get_text() for ax in (ax_f, ax_u) for t in ax.texts]
    assert "to 15 Mar" in texts and "to 1 Mar" in texts
    # the same chart with no partial year has no hatch at all
    fig = hf.plot_machinery(
        reg.assign(partial=False),
        und.assign(partial=False),
        steps,
        pd.Timestamp("2023-12-31"),
        pd.Timestamp("2023-12-31"),
    )
    assert not [p for ax in fig.axes for p in ax.patches if p.get_hatch()]


def test_register_years_clip_to_2012_and_snapshot():
    last = pd.Timestamp("2025-08-15")
    assert h.register_years(1822, 2025, last) == list(range(2012, 2026))
    assert h.register_years(1822, 2030, last)[-1] == 2025
    assert h.register_years(1822, 1990, last) == []


# ---------------------------------------------------------------------------- UNHCR, unit


def test_unhcr_series_gaps_and_change():
    pop = pd.DataFrame(
        {
            "year": [1990, 1992, 2021, 2024, 2024],
            "origin_iso3": ["RUS", "RUS", "RUS", "RUS", "UKR"],
            "refugees": pd.array([10, 20, 30, 40, 99], dtype="Int64"),
            "asylum_seekers": pd.array([None, 0, 10, 60, 1], dtype="Int64"),
        }
    )
    s = h.unhcr_series(pop, 1900, 2030)
    assert list(s["total"]) == [10, 20, 40, 100]
    assert h.missing_years(s.iloc[:2]) == [1991]
    assert h.change(s, 2021, 2024) == {"a": 40, "b": 100, "ratio": 2.5}
    assert h.change(s, 2020, 2024) is None
    assert h.unhcr_series(pop, 1995, 2000).empty


def _pop(rows):
    return pd.DataFrame(
        rows,
        columns=["year", "origin_iso3", "asylum_iso3", "asylum_name", "refugees", "asylum_seekers"],
    )


def test_reporting_breaks_flag_large_one_year_falls_of_a_large_host():
    pop = _pop(
        [
            # A: 100,000 -> 5,000 in a year while it holds most of the total: a break
            (1998, "RUS", "AAA", "Aland", 100000, 0),
            (1999, "RUS", "AAA", "Aland", 5000, 0),
            # B: from 0 to 40,000: a rise, which flight can cause: no break
            (1998, "RUS", "BBB", "Bland", 0, 0),
            (1999, "RUS", "BBB", "Bland", 40000, 0),
            # C: a tenfold fall, but a tiny share of the total: no break
            (1998, "RUS", "CCC", "Cland", 1000, 0),
            (1999, "RUS", "CCC", "Cland", 100, 0),
            # D: large host, falls to a quarter only: no break
            (1998, "RUS", "DDD", "Dland", 40000, 0),
            (1999, "RUS", "DDD", "Dland", 10000, 0),
            # E: a gap of a year is not compared
            (1995, "RUS", "EEE", "Eland", 90000, 0),
            (1997, "RUS", "EEE", "Eland", 10, 0),
            # another origin never counts
            (1998, "UKR", "AAA", "Aland", 100000, 0),
            (1999, "UKR", "AAA", "Aland", 1, 0),
        ]
    )
    b = h.reporting_breaks(pop)
    assert list(zip(b["asylum_iso3"], b["year_before"], b["year"])) == [("AAA", 1998, 1999)]
    assert (b["before"].iloc[0], b["after"].iloc[0]) == (100000, 5000)
    assert b["share"].iloc[0] == pytest.approx(100000 / 141000)
    # the rule is declared once, with its thresholds
    assert h.reporting_breaks(pop, factor=4)["asylum_iso3"].tolist() == ["AAA", "DDD"]
    assert h.reporting_breaks(pop, origin="UKR")["asylum_iso3"].tolist() == ["AAA"]
    assert h.reporting_breaks(pop, origin="BLR").empty


def test_real_reporting_breaks_include_the_us_fall_after_the_1990s_peak():
    b = h.reporting_breaks(load("unhcr_population"))
    us = b[(b["asylum_iso3"] == "USA") & (b["year"] == 1999)]
    assert len(us) == 1
    assert int(us["before"].iloc[0]) > 100_000 and int(us["after"].iloc[0]) < 10_000
    # Ukrainians' flight of 2022 is a rise, never a break
    assert not (h.reporting_breaks(load("unhcr_population"), "UKR")["year"] == 2022).any()


def test_asylum_seekers_before_first_reported_year_are_not_zero():
    pop = pd.DataFrame(
        {
            "year": [1998, 1999, 2000, 1998, 2000],
            "origin_iso3": ["RUS", "RUS", "RUS", "WLD", "WLD"],
            "refugees": pd.array([10, 20, 30, 5, 6], dtype="Int64"),
            "asylum_seekers": pd.array([0, 0, 7, 50, 60], dtype="Int64"),
        }
    )
    # the all-origins aggregate (WLD) reports earlier; it is not an origin
    assert h.first_reported_year(pop) == 2000
    s = h.unhcr_series(pop, 1990, 2030, asylum_seekers_from=2000)
    assert s["asylum_seekers"].isna().tolist() == [True, True, False]
    assert list(s["total"]) == [10, 20, 37]  # refugees alone where not reported
    assert h.first_reported_year(pop.assign(asylum_seekers=0)) is None


def test_plot_unhcr_marks_breaks_and_the_unreported_years():
    pop = pd.DataFrame(
        {
            "year": [1997, 1998, 1999, 2000, 2001],
            "origin_iso3": ["RUS"] * 5,
            "refugees": pd.array([100, 100, 5, 5, 5], dtype="Int64"),
            "asylum_seekers": pd.array([0, 0, 0, 3, 4], dtype="Int64"),
        }
    )
    series = h.unhcr_series(pop, 1990, 2030, asylum_seekers_from=2000)
    breaks = pd.DataFrame(
        {
            "asylum_iso3": ["AAA"],
            "year": [1999],
            "year_before": [1998],
            "before": [100],
            "after": [5],
        }
    )
    fig = hf.plot_unhcr(series, breaks, 2000)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "break: AAA" in texts
    assert "asylum-seekers not reported before 2000" in texts
    assert any(list(line.get_xdata()) == [1998.5, 1998.5] for line in ax.lines)
    plain = hf.plot_unhcr(series)
    assert not [t for t in plain.axes[0].texts if t.get_text().startswith("break")]


# ----------------------------------------------------------------------------- real data


def test_real_register_yearly_designations_match_provenance():
    # issue 17: the register of 10 July 2026 (2025: 219 designations; 2026 to 10 July: 106)
    reg = h.register_per_year(load("foreign_agents_per_year"), list(range(2013, 2027)))
    reg = reg.set_index("year")
    assert reg.loc[2025, "designations"] == 219 and not reg.loc[2025, "partial"]
    assert reg.loc[2026, "designations"] == 106 and reg.loc[2026, "partial"]
    assert reg.loc[2026, "period_end"] == table_until("foreign_agents_per_year")
    s = h.register_summary(load("foreign_agents_per_date"))
    assert s["total"] == 1226 == reg["designations"].sum()
    # the types table still rests on the last export with types (15 August 2025)
    assert h.register_summary(load("foreign_agents_events"))["total"] == 1050


def test_real_undesirable_yearly_designations_match_provenance():
    # the table now holds the list's state of 3 July 2026 (issue 17): 2015-2023 as in the
    # 2024-09-05 snapshot's PROVENANCE.md, 2024-2026 as in the 2026-07-03 snapshot's
    ud = load("undesirable_designations")
    und = h.undesirable_per_year(load("undesirable_per_year"), list(range(2015, 2027)))
    assert und.set_index("year")["partial"].to_dict()[2026]
    per = und.set_index("year")["designations"]
    assert per.to_dict() == {
        2015: 4,
        2016: 3,
        2017: 4,
        2018: 4,
        2019: 4,
        2020: 12,
        2021: 18,
        2022: 22,
        2023: 57,
        2024: 67,
        2025: 101,
        2026: 71,
    }
    assert h.undesirable_summary(ud)["total"] == 367


def test_real_unhcr_series_for_russia():
    s = h.unhcr_series(load("unhcr_population_origin_year"), 1700, 2030).set_index("year")
    assert s.loc[2024, "total"] == s.loc[2024, "refugees"] + s.loc[2024, "asylum_seekers"]
    assert s.loc[2024, "refugees"] == 96869 and s.loc[2024, "asylum_seekers"] == 125962
    assert s["total"].idxmax() in range(1990, 2000) or s["total"].idxmax() >= 2022


def test_real_timeline_supports_the_chapter():
    tl = load("timeline")
    assert len(tl) >= 40 and tl["date"].min().year <= 1822 and tl["date"].max().year >= 2025
    assert set(tl["wave"]) == set(h.WAVES)
    # every event the chapter's Markdown quotes (`{python} event.T001.date`) exists
    nb = nbformat.read(ROOT / "chapters/01-history.ipynb", as_version=4)
    quoted = {
        m
        for c in nb.cells
        if c.cell_type == "markdown"
        for m in re.findall(r"\bevent\.(T\d+)\.", c.source)
    }
    assert len(quoted) >= 30
    for i in sorted(quoted):
        h.event(tl, i)
    steps = h.legal_steps(tl, list(range(2012, 2027)), until=table_until("foreign_agents_per_year"))
    assert {d.year for d in steps["date"]} >= {2012, 2015, 2022}


# ------------------------------------------------------------------------------ parameters


def test_start_after_end_is_refused_before_running():
    with pytest.raises(ParamError, match=r"start_year \(2030\) is after end_year \(2000\)"):
        resolve_params(ROOT / "params.yml", ["history.start_year=2030", "history.end_year=2000"])


def test_unknown_category_is_refused():
    with pytest.raises(ParamError, match=r"history.categories.*'wars' is not allowed.*'war'"):
        resolve_params(ROOT / "params.yml", ["history.categories=[law, wars]"])


def test_parameters_cell_equals_params_yml_defaults():
    nb = nbformat.read(ROOT / "chapters/01-history.ipynb", as_version=4)
    ns: dict = {}
    exec(nb.cells[0].source, ns)  # noqa: S102 - our own literal parameters cell
    defaults = resolve_params(ROOT / "params.yml")["history"]
    assert {k: ns[k] for k in defaults} == defaults
    assert "parameters" in nb.cells[0].metadata.get("tags", [])


# -------------------------------------------------------------------------------- notebook


def _execute(tmp_path, params):
    from exile_report import execute
    from exile_report.execute import ChapterRun

    nb = Path("chapters/01-history.ipynb")
    run = ChapterRun(
        key="history",
        notebook=nb,
        output=tmp_path / "01-history.ipynb",
        params=params,
        fingerprint=execute.chapter_fingerprint(ROOT / nb, params, "t"),
    )
    execute.execute_chapters([run], ROOT, force={"history"}, log=lambda s: None)
    out = nbformat.read(run.output, as_version=4)
    markdown = "\n\n".join(c.source for c in out.cells if c.cell_type == "markdown")
    assert "{python}" not in markdown and "<!-- if:" not in markdown
    return out, " ".join(markdown.split())


@pytest.mark.slow  # executes the chapter in a kernel
def test_notebook_runs_with_non_default_parameters(tmp_path):
    params = {"start_year": 1991, "end_year": 2023, "categories": ["law", "expulsion"]}
    out, text = _execute(tmp_path, params)
    assert "fall between 1991 and 2023" in text
    total = h.register_summary(load("foreign_agents_per_date"))["total"]
    assert f"held {total:,} entries" in text  # the register totals do not depend on the years shown
    assert "contain no event" not in text
    labels = [
        o["metadata"]["exile_report"]["label"]
        for c in out.cells
        for o in c.get("outputs", [])
        if "exile_report" in o.get("metadata", {})
    ]
    assert {"fig-timeline", "fig-machinery", "fig-unhcr-long"} <= set(labels)


@pytest.mark.slow  # executes the chapter in a kernel
def test_an_empty_selection_reads_correctly(tmp_path):
    """Years with no event of the chosen category and no register: the chapter says so instead
    of describing an empty figure, and cites no figure that is not drawn."""
    _, text = _execute(tmp_path, {"start_year": 1822, "end_year": 1830, "categories": ["war"]})
    assert "The chosen years (1822–1830) and categories contain no event of the timeline." in text
    assert "@fig-timeline" not in text and "@fig-machinery" not in text
    assert "changed with the laws: of the" in text


# ------------------------------------------------------------------------ reader text, every chapter

#: Working names of the project that must never reach a reader (issue 16); the built book's
#: pages are checked for the same list in tests/test_reader_text.py.
WORKING_VOCABULARY = (
    "focus origin",
    "years in range",
    "source_choice",
    "other (restr.)",
    "restr.",
    "app_type",
    "via the KiraKicka extract",
    "via KiraKicka",
)

CHAPTER_NOTEBOOKS = [Path(nb).name for nb, module in CHAPTER_MODULES.values() if module is not None]


@pytest.mark.parametrize("name", CHAPTER_NOTEBOOKS)
def test_reader_text_has_no_working_vocabulary_and_alt_texts_no_numbers(name):
    nb = nbformat.read(ROOT / "chapters" / name, as_version=4)
    reader = []
    for c in nb.cells:
        if c.cell_type == "markdown":
            reader.append(c.source)
        else:  # captions, alt texts and the source lines under figures are reader text too
            reader += re.findall(r"^#\| (?:fig-cap|fig-alt|tbl-cap): (.*)$", c.source, re.MULTILINE)
            reader += re.findall(r'\bsource=f?"([^"]*)"', c.source)
            alts = re.findall(r"^#\| fig-alt: (.*)$", c.source, re.MULTILINE)
            for alt in alts:
                # an alt text may name a fixed year (the 2022 invasion) but states no count,
                # share or range, which would not change with the data
                assert not re.search(r"\d[\d,.]*\s*(%|per cent|thousand|million)|\d,\d{3}", alt), (
                    alt
                )
    text = "\n".join(reader)
    for word in WORKING_VOCABULARY:
        assert word not in text, (name, word)
