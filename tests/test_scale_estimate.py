"""The headline estimate of chapter 2 on hand-made inputs: no double netting of returns, ranges
from the lowest and highest published values, precision the inputs support, never below every
published total without a reason, like-with-like sensitivity, trips against people, hosts
without data. Each test would fail on the logic it replaces (a return rate taken off counts of
people still abroad, low = central = high per country, sums printed to the hundred, a date
sensitivity comparing 4 countries with 9)."""

from __future__ import annotations

import datetime
import re

import pandas as pd
import pytest

from exile_report import findings, paths
from exile_report.analysis import scale
from exile_report.params import ParamError, resolve_params

#: What a hand-made row gives, in order; the other columns of the contract are derived.
ROW = "estimate_id geography concept unit low central high period_start period_end grade"


def table(*rows) -> pd.DataFrame:
    """Rows in the order of :data:`ROW`, in the column contract of estimates.csv."""
    df = pd.DataFrame([dict(zip(ROW.split(), r)) for r in rows])
    df["estimator"] = "estimator of " + df["estimate_id"]
    df["date_published"] = df["period_end"]
    df["citation_key"] = "key_" + df["estimate_id"]
    for col in ("period_start", "period_end", "date_published"):
        df[col] = pd.to_datetime(df[col])
    for col in ("low", "central", "high"):
        df[col] = df[col].astype("Float64")
    return df


S, P = "stock-abroad", "persons"
INV = "2022-02-24"

# Three hosts: Armenia with three published figures, Georgia with two, Serbia with one.
HOSTS = table(
    ("A1", "ARM", S, P, None, 42_000, None, INV, "2022-10-31", "B"),
    ("A2", "ARM", S, P, 108_000, None, 110_000, INV, "2022-12-31", "B"),
    ("A3", "ARM", S, P, None, 110_000, None, INV, "2024-07-16", "B"),
    ("G1", "GEO", S, P, None, 112_700, None, INV, "2022-09-30", "B"),
    ("G2", "GEO", S, P, None, 73_500, None, INV, "2024-07-16", "B"),
    ("S1", "SRB", S, P, None, 30_000, None, INV, "2024-07-16", "B"),
    ("T1", "GEO", "border-crossings", "trips", None, 1_000_000, None, INV, "2022-09-30", "B"),
)


def ranges_for(figures, hosts=("ARM", "GEO", "SRB"), choice=None):
    chosen, _ = scale.choose_sources(figures, list(hosts), choice or {})
    return scale.host_ranges(figures, chosen)


# ---------------------------------------------------------------- the per-country sum


def test_counts_of_people_still_abroad_are_summed_without_taking_returns_off():
    """Rule K02: figures of people still abroad already leave out those who went back. The old
    reconcile took a 10-30 % return rate off them a second time."""
    rows = ranges_for(HOSTS)
    out = scale.reconcile(rows)
    assert out["exact_central"] == 110_000 + 73_500 + 30_000  # the chosen (latest) figures
    assert out["central"] == 210_000  # the same, to the precision of its inputs (10,000)


def test_low_and_high_come_from_the_lowest_and_highest_published_figures():
    """Per country the range spans every published figure (the old one was low = central = high
    for every country, so the range came from the return rate alone)."""
    rows = ranges_for(HOSTS).set_index("geography")
    assert (rows.loc["ARM", "low"], rows.loc["ARM", "central"], rows.loc["ARM", "high"]) == (
        42_000,
        110_000,
        110_000,
    )
    assert (rows.loc["GEO", "low"], rows.loc["GEO", "high"]) == (73_500, 112_700)
    assert rows.loc["SRB", "n_figures"] == 1 and rows.loc["SRB", "low"] == rows.loc["SRB", "high"]
    out = scale.reconcile(rows.reset_index())
    assert out["exact_low"] == 42_000 + 73_500 + 30_000
    assert out["exact_high"] == 110_000 + 112_700 + 30_000
    assert out["low"] < out["central"] < out["high"]


def test_trips_never_enter_the_ranges():
    rows = ranges_for(HOSTS).set_index("geography")
    assert rows.loc["GEO", "high"] == 112_700  # not the 1,000,000 border crossings


@pytest.mark.parametrize(
    "value,unit",
    [(73_500, 100), (110_000, 10_000), (100_000, 10_000), (80_000, 1_000), (3_880_679, 1)],
)
def test_rounding_unit_reads_published_figures_as_stated(value, unit):
    assert scale.rounding_unit(value) == unit


def test_a_sum_is_not_printed_to_the_hundred_when_its_inputs_are_rounded_to_ten_thousands():
    """401,600 from figures such as 110,000 and 80,000 is false precision."""
    assert scale.round_to_inputs(401_600, [110_000, 80_000, 73_500]) == 400_000
    assert scale.round_to_inputs(183_500, [110_000, 73_500]) == 180_000
    assert scale.round_to_inputs(3_500, [1_000, 2_500]) == 3_500  # exact inputs stay exact


# ---------------------------------------------------------------- the headline


WORLD = table(
    ("W1", "WLD", S, P, None, 650_000, None, INV, "2024-07-16", "B"),
    ("W2", "WLD", S, P, None, 666_000, None, INV, "2024-07-16", "C"),  # grade C: no bound
    ("D1", "WLD", "departures", P, 820_000, None, 920_000, INV, "2023-07-28", "A"),
    ("D2", "WLD", "departures", P, 500_000, None, 1_000_000, INV, "2023-02-16", "B"),
    # a forecast for the whole of 2022, counting January and February: never a bound
    ("D3", "WLD", "departures", P, 250_000, None, 2_000_000, "2022-01-01", "2022-12-31", "A"),
)


def test_headline_is_never_below_every_published_total():
    """The old estimate (401,600) sat below every published total; the headline's low end is
    at least the lowest published worldwide count of people still abroad."""
    h = scale.headline_from(WORLD, ranges_for(HOSTS))
    assert (h.low, h.central, h.high) == (650_000, 650_000, 1_000_000)
    assert h.bounds["low"].ids == ("W1",) and h.bounds["high"].ids == ("D2",)
    assert h.source_keys == ("key_W1", "key_D2")
    assert h.as_of == datetime.date(2024, 7, 16)
    assert "still abroad" in h.concept
    assert h.range_text() == "650,000–1,000,000"


def test_headline_takes_the_per_country_sum_when_it_is_higher():
    big = pd.concat(
        [HOSTS, table(("K1", "KAZ", S, P, None, 600_000, None, INV, "2024-08-01", "B"))],
        ignore_index=True,
    )
    h = scale.headline_from(WORLD, ranges_for(big, ("ARM", "GEO", "SRB", "KAZ")))
    assert h.low == 750_000  # 42,000 + 73,500 + 30,000 + 600,000 = 745,500 -> ten thousands
    assert h.central == 810_000  # 110,000 + 73,500 + 30,000 + 600,000 = 813,500
    assert "sum of the lowest" in h.bounds["low"].basis
    assert h.high == 1_000_000  # the departures bound is still above the sum's high end
    assert h.as_of == datetime.date(2024, 8, 1)


def test_headline_needs_a_count_of_people_still_abroad_of_grade_a_or_b():
    only_c = WORLD[WORLD["estimate_id"].isin(["W2", "D1"])]
    with pytest.raises(ValueError, match="people still abroad"):
        scale.headline_from(only_c)


def test_a_forecast_that_counts_the_weeks_before_the_invasion_is_left_out():
    dep = scale.departures_since_invasion(WORLD)
    assert set(dep["estimate_id"]) == {"D1", "D2"}


def test_the_headline_of_the_book_is_the_one_the_findings_and_chapter_1_quote():
    h = scale.headline()
    out = findings.compute()
    assert out["headcount_range"] == h.range_text()
    assert out["headcount_concept"] == h.concept
    assert out["headcount_as_of"] == h.as_of.strftime("%B %Y")
    assert h.low >= 650_000  # The Bell's count, the lowest published count of people abroad
    chapter1 = (paths.ROOT / "chapters" / "01-history.ipynb").read_text(encoding="utf-8")
    assert "headline().as_text()" in chapter1
    assert "{{< var findings.headcount_range >}}" in (paths.ROOT / "index.qmd").read_text()


# ---------------------------------------------------------------- sensitivity


EARLIER = HOSTS[HOSTS["period_end"] <= "2023-12-31"]


def test_date_sensitivity_compares_the_same_countries():
    """A year earlier only Armenia and Georgia have figures: the earlier total keeps Serbia at
    its figure (the old row compared the earlier 2 countries with the 3 of today)."""
    then = scale.same_countries_earlier(HOSTS, EARLIER, ["ARM", "GEO", "SRB"], {})
    assert then["hosts"] == ["ARM", "GEO"]
    assert then["now"] == 110_000 + 73_500
    # earlier defaults: Armenia's range 108,000-110,000 (midpoint 109,000), Georgia 112,700
    assert then["then"] == 109_000 + 112_700
    assert then["total"] == then["base"] - then["now"] + then["then"]
    sens = scale.sensitivity(HOSTS, ["ARM", "GEO", "SRB"], {}, EARLIER, "2023-12-31")
    row = sens[sens["assumption"].str.startswith("Figures a year earlier")].iloc[0]
    assert {row["low_total"], row["high_total"]} == {then["base"], then["total"]}


def test_the_sentence_on_the_biggest_choice_reads_as_english():
    sens = scale.sensitivity(HOSTS, ["ARM", "GEO", "SRB"], {}, EARLIER, "2023-12-31")
    biggest = sens.iloc[-1]
    sentence = (
        f"Of the choices behind the central sum, the one that moves it most is {biggest['phrase']}."
    )
    assert biggest["phrase"] == "which published figure is used for ARM"  # 42,000 to 110,000
    assert "date one year earlier" not in sentence.lower()
    assert not any(p.startswith(("Date", "Source")) for p in sens["phrase"])


# ---------------------------------------------------------------- trips and people; hosts


def test_trips_per_person_are_computed_not_asserted():
    mixed = pd.concat(
        [
            HOSTS,
            table(
                ("U1", "USA", S, P, None, 48_000, None, INV, "2024-07-16", "B"),
                (
                    "U2",
                    "USA",
                    "border-crossings",
                    "trips",
                    None,
                    21_763,
                    None,
                    INV,
                    "2023-01-31",
                    "B",
                ),
            ),
        ],
        ignore_index=True,
    )
    both = scale.trips_and_people(mixed).set_index("geography")
    assert list(both.index) == ["GEO", "USA"]
    assert both.loc["GEO", "ratio"] == pytest.approx(1_000_000 / 112_700)
    assert both.loc["USA", "ratio"] < 1  # not "an order of magnitude above" everywhere


def test_what_exists_for_hosts_without_a_count_of_people():
    found = scale.other_concepts(HOSTS, ["GEO", "NOR"])
    assert found["GEO"] == ["people still abroad", "border crossings"]
    assert found["NOR"] == []  # the prose must not claim crossings, permits or claims


def test_a_host_without_any_figure_is_refused_in_one_line():
    with pytest.raises(ParamError) as err:
        resolve_params(paths.ROOT / "params.yml", ["scale.hosts=[ARM, NOR]"])
    message = str(err.value)
    assert "\n" not in message
    assert re.search(r"'NOR'.*no figure in estimates\.csv or press_figures\.csv", message)
    resolve_params(paths.ROOT / "params.yml", ["scale.hosts=[ARM, KOR]"])  # KOR has claims


def test_a_figure_graded_c_is_not_added_unless_the_reader_chooses_it():
    """Source policy: no figure rests on a grade C source alone (Spain's 16,000, from one small
    outlet, was added to the old sum)."""
    weak = pd.concat(
        [HOSTS, table(("E1", "ESP", S, P, None, 16_000, None, INV, "2024-07-16", "C"))],
        ignore_index=True,
    )
    usable = scale.citable(weak)
    chosen, missing = scale.choose_sources(usable, ["ARM", "ESP"], {})
    assert list(chosen["geography"]) == ["ARM"] and missing == ["ESP"]
    chosen, _ = scale.choose_sources(scale.citable(weak, {"ESP": "E1"}), ["ESP"], {"ESP": "E1"})
    assert list(chosen["estimate_id"]) == ["E1"]
