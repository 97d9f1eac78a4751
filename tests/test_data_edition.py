"""The edition's newer snapshots (issue 17): the 2026 states of the foreign-agents register and
of the undesirable list, and the UK's December 2025 totals. Every expected figure is read from
the snapshot's own PROVENANCE.md or raw file, never typed in; the partial last year is marked,
and its end day agrees with the source register."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from _data_helpers import RAW, ROOT, needs_raw
from exile_report.data import DataError
from exile_report.processing import _common, foreign_agents, uk_home_office, undesirable
from exile_report.sources import load_register

PROCESSED = ROOT / "data" / "processed"
FA_2026 = "ru-minjust-foreign-agents-registry-2026-07-10"
UD_2026 = "ru-minjust-undesirable-organizations-2026-07-03"
UK_2025 = "uk-home-office-asylum-2025-12"


def _provenance(source: str) -> str:
    """A PROVENANCE.md as one line of text, without Markdown emphasis."""
    text = (RAW / source / "PROVENANCE.md").read_text(encoding="utf-8")
    return " ".join(text.replace("**", "").split())


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _stated_per_year(text: str) -> dict[int, int]:
    """'Inclusions per year ...: 2021: 110, ..., 2026 (to 10 July): 106' up to the next '. '."""
    body = text.split("Inclusions per year", 1)[1].split(". ", 1)[0]
    return {int(y): int(n) for y, n in re.findall(r"\b(\d{4})(?: \([^)]*\))?: (\d+)\b", body)}


def _period_end(source: str) -> pd.Timestamp:
    return pd.Timestamp(next(s["period_end"] for s in load_register() if s["id"] == source))


def _read(name: str) -> pd.DataFrame:
    df = pd.read_csv(PROCESSED / f"{name}.csv", keep_default_na=False, na_values=[""])
    for col in ("date", "period_end", "period_start"):
        if col in df:
            df[col] = pd.to_datetime(df[col])
    return df


# ------------------------------------------------------------------ foreign agents, 2026


@needs_raw
def test_foreign_agents_2026_counts_equal_provenance():
    text = _provenance(FA_2026)
    years = _read("foreign_agents_per_year").set_index("year")
    stated = _stated_per_year(text)
    assert {2025, 2026} <= set(stated)
    for year, n in stated.items():
        assert years.loc[year, "designations"] == n, year
    total = _number(re.search(r"A JSON list of ([\d,]+) entries", text)[1])
    assert years["designations"].sum() == total
    assert years["designations_individuals"].sum() == _number(
        re.search(r"([\d,]+) individuals", text)[1]
    )
    assert years["removals"].sum() == _number(
        re.search(r"([\d,]+) entries carry a removal date", text)[1]
    )
    removals = re.search(r"Removals: (\d+) in (\d{4}), (\d+) in (\d{4})", text)
    assert years.loc[int(removals[2]), "removals"] == int(removals[1])
    assert years.loc[int(removals[4]), "removals"] == int(removals[3])
    # the per-date table adds up to the same entries
    per_date = _read("foreign_agents_per_date")
    assert per_date.loc[per_date["event"] == "designation", "count"].sum() == total


@needs_raw
def test_foreign_agents_2026_lacks_exactly_the_deduplicated_names_of_the_export():
    """Up to the export's date, the 2026 copy has the export's entries minus the names its
    copying script dropped as repeats (the number PROVENANCE.md states)."""
    missing = re.search(r"(\d+) register entries are missing", _provenance(FA_2026))
    old = _read("foreign_agents_events")
    new = _read("foreign_agents_per_date")
    until = _period_end("ru-minjust-foreign-agents-registry")
    old_n = old.loc[(old["event"] == "designation") & (old["date"] <= until), "count"].sum()
    new_n = new.loc[(new["event"] == "designation") & (new["date"] <= until), "count"].sum()
    assert old_n - new_n == int(missing[1])


# ------------------------------------------------------------------ undesirable, 2026


@needs_raw
def test_undesirable_2026_counts_equal_provenance():
    text = _provenance(UD_2026)
    years = _read("undesirable_per_year").set_index("year")
    stated = _stated_per_year(text)
    assert {2024, 2025, 2026} <= set(stated)
    for year, n in stated.items():
        assert years.loc[year, "designations"] == n, year
    total = _number(re.search(r"A JSON list of ([\d,]+) organisations", text)[1])
    assert years["designations"].sum() == total
    per_date = _read("undesirable_designations")
    assert per_date["count"].sum() == total
    january = re.search(r"January (\d{4}) alone had (\d+)", text)
    in_january = per_date["date"].dt.to_period("M") == pd.Period(f"{january[1]}-01", "M")
    assert per_date.loc[in_january, "count"].sum() == int(january[2])


@needs_raw
def test_undesirable_2026_holds_every_earlier_entry_with_its_date():
    """The superseded 2024-09-05 state: per date, the same number of inclusions."""
    raw = pd.read_csv(
        RAW / "ru-minjust-undesirable-organizations" / "undesirable_organizations_2024-09-05.csv",
        dtype=str,
    )
    old = raw.groupby("inclusion_date_iso").size()
    new = _read("undesirable_designations")
    new = new[new["date"] <= _period_end("ru-minjust-undesirable-organizations")]
    new = new.groupby(new["date"].dt.strftime("%Y-%m-%d"))["count"].sum()
    assert new.to_dict() == old.to_dict()


# ------------------------------------------------------------------ partial year


@needs_raw
@pytest.mark.parametrize(
    "table, source", [("foreign_agents_per_year", FA_2026), ("undesirable_per_year", UD_2026)]
)
def test_only_the_snapshots_year_is_partial_and_ends_on_its_register_date(table, source):
    years = _read(table).sort_values("year")
    end = _period_end(source)
    last = years.iloc[-1]
    assert last["year"] == end.year and last["period_end"] == end and bool(last["partial_year"])
    full = years.iloc[:-1]
    assert not full["partial_year"].any()
    assert (full["period_end"] == pd.to_datetime(full["year"].astype(str) + "-12-31")).all()
    assert list(years["year"]) == list(range(years["year"].min(), end.year + 1))


def test_an_event_after_the_register_date_fails():
    events = pd.DataFrame({"date": pd.to_datetime(["2026-01-05", "2026-07-11"]), "count": [1, 1]})
    with pytest.raises(DataError, match=r"2026-07-11 is after the snapshot date 2026-07-10"):
        _common.per_year(events, 2026, pd.Timestamp("2026-07-10"), "designations")


def test_per_year_marks_a_cut_year_and_fills_gaps():
    events = pd.DataFrame(
        {"date": pd.to_datetime(["2013-06-27", "2015-02-01", "2015-03-01"]), "count": [1, 2, 3]}
    )
    years = _common.per_year(events, 2013, pd.Timestamp("2015-07-10"), "n")
    assert years["n"].tolist() == [1, 0, 5]
    assert years["partial_year"].tolist() == [False, False, True]
    assert years["period_end"].dt.strftime("%Y-%m-%d").tolist() == [
        "2013-12-31",
        "2014-12-31",
        "2015-07-10",
    ]
    # a snapshot on 31 December leaves no partial year
    assert not _common.per_year(events, 2013, pd.Timestamp("2015-12-31"), "n")["partial_year"].any()


def test_bad_date_in_a_json_snapshot_names_file_entry_and_field(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(
        json.dumps([{"name": "a", "dateIn": "01.02.2024"}, {"name": "b", "dateIn": "2024-02-01"}]),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"list\.json: entry 2: field 'dateIn': not a dd\.mm\.yyyy"):
        _common.read_json_list(path, ["name", "dateIn"])
    path.write_text(json.dumps([{"name": "a"}]), encoding="utf-8")
    with pytest.raises(DataError, match=r"list\.json: entry 1: field 'dateIn' missing"):
        _common.read_json_list(path, ["name", "dateIn"])


def test_foreign_agents_2026_kinds_and_removals():
    reg = pd.DataFrame(
        {
            "is_person": [1, 0, 1],
            "dateIn": pd.to_datetime(["2025-01-02", "2025-01-02", "2026-03-01"]),
            "dateOut": pd.to_datetime([None, "2026-02-01", None]),
        }
    )
    out = foreign_agents.counts_2026(reg, pd.Timestamp("2026-07-10"))
    years = out["foreign_agents_per_year"].set_index("year")
    assert years["designations"].to_dict() == {2025: 2, 2026: 1}
    assert years["designations_individuals"].to_dict() == {2025: 1, 2026: 1}
    assert years["removals"].to_dict() == {2025: 0, 2026: 1}
    bad = reg.assign(is_person=[1, 2, 0])
    with pytest.raises(DataError, match=r"\.json: entry 2: unknown is_person .2."):
        foreign_agents.counts_2026(bad, pd.Timestamp("2026-07-10"))


def test_undesirable_reads_the_country_from_the_name():
    assert undesirable.country_of("«Фонд» (США)") == "USA"
    assert undesirable.country_of("Организация без страны") == ""


# ------------------------------------------------------------------ UK, December 2025


@needs_raw
def test_uk_totals_for_russia_equal_provenance():
    text = _provenance(UK_2025)
    m = re.search(
        r"Russia: ([\d,]+) initial decisions (\d{4})–(\d{4}) \(([\d,]+) grants, "
        r"([\d,]+) refusals, ([\d,]+) withdrawn, ([\d,]+) administrative\), initial "
        r"grant rate ([\d.]+)%",
        text,
    )
    assert m, "PROVENANCE.md sentence on Russia not found"
    row = _read("uk_initial_decisions_totals").set_index("nationality_iso3").loc["RUS"]
    assert row["decisions"] == _number(m[1])
    assert (row["period_start"].year, row["period_end"].year) == (int(m[2]), int(m[3]))
    assert [row[c] for c in ("grants", "refusals", "withdrawn", "administrative_outcomes")] == [
        _number(m[i]) for i in (4, 5, 6, 7)
    ]
    assert round(row["grant_rate"] * 100, 1) == float(m[8])
    assert row["period_end"] == _period_end(UK_2025)


@needs_raw
def test_uk_totals_cover_every_nationality_of_the_file():
    doc = json.loads((RAW / UK_2025 / uk_home_office.FILE_2025).read_text(encoding="utf-8"))
    table = _read("uk_initial_decisions_totals")
    assert sorted(table["nationality"]) == sorted(r["nationality"] for r in doc["leagueTable"])
    assert table["decisions"].sum() == sum(r["totalDecisions"] for r in doc["leagueTable"])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"grants": 7}, "grants \\+ refusals != substantiveDecisions"),
        ({"withdrawn": 2}, "substantive \\+ withdrawn \\+ administrative != totalDecisions"),
        ({"grant_rate_pct_source": 61.0}, "grantRatePct is not grants"),
        ({"refusals": -1, "substantive_decisions": 5}, "a count is missing or negative"),
    ],
)
def test_uk_totals_inconsistent_with_themselves_fail(change, message):
    row = {
        "nationality": "Russia",
        "region": "Europe Other",
        "grants": 6,
        "refusals": 4,
        "withdrawn": 1,
        "administrative_outcomes": 1,
        "substantive_decisions": 10,
        "decisions": 12,
        "grant_rate_pct_source": 60.0,
        "period_start": pd.Timestamp("2020-01-01"),
        "period_end": pd.Timestamp("2025-12-31"),
    }
    countries = pd.DataFrame({"name": ["Russian Federation"], "iso_code": ["RUS"]})
    ok = uk_home_office.totals_2020_2025(pd.DataFrame([row]), countries)
    assert ok["grant_rate"].tolist() == [0.6]
    with pytest.raises(DataError, match=rf"entry 1 \(Russia\): {message}"):
        uk_home_office.totals_2020_2025(pd.DataFrame([row | change]), countries)


def test_foreign_agents_2026_removal_after_the_snapshot_fails():
    reg = pd.DataFrame(
        {
            "is_person": [1],
            "dateIn": pd.to_datetime(["2025-01-02"]),
            "dateOut": pd.to_datetime(["2026-07-11"]),
        }
    )
    with pytest.raises(DataError, match=r"2026-07-11 is after the snapshot date 2026-07-10"):
        foreign_agents.counts_2026(reg, pd.Timestamp("2026-07-10"))
