"""Checks of the hand-curated tables on the scale of the exodus and host-state responses.

These tables are transcribed by hand from the research dossier, so the tests guard the column
contract shared with the schemas and chapters, the allowed codes, date order, the low/central/high
order of published ranges, the link of every row to a bibliography entry, and the minimum coverage
the report promises (estimators, concepts, host countries, jurisdictions).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from exile_report.params import defaults

ROOT = Path(__file__).resolve().parents[1]
CURATED = ROOT / "data" / "curated"
BIB = ROOT / "references.bib"

ESTIMATE_COLUMNS = [
    "estimate_id",
    "estimator",
    "estimator_type",
    "date_published",
    "period_start",
    "period_end",
    "geography",
    "concept",
    "low",
    "central",
    "high",
    "unit",
    "method",
    "figure_as_published",
    "citation_key",
    "grade",
    "note",
]
POLICY_COLUMNS = [
    "policy_id",
    "jurisdiction",
    "jurisdiction_name",
    "date_announced",
    "date_in_force",
    "date_ended",
    "measure_type",
    "direction",
    "instrument",
    "affected",
    "summary",
    "as_published",
    "citation_key",
    "grade",
    "date_announced_precision",
    "date_in_force_precision",
    "date_ended_precision",
    "kind",
    "short_name",
    "stance_exclusion",
]
CONFLICT_COLUMNS = [
    "conflict_id",
    "topic",
    "table",
    "row_ids",
    "claim_a",
    "source_a",
    "claim_b",
    "source_b",
    "likely_reason",
    "treatment",
]

ESTIMATOR_TYPES = {
    "research",
    "media",
    "host-state",
    "border-service",
    "russian-official",
    "ngo",
    "encyclopedia",
}
CONCEPTS = {
    "departures",
    "stock-abroad",
    "border-crossings",
    "residence-permits",
    "asylum-claims",
    "returns-share",
    "other",
}
UNITS = {"persons", "trips", "permits", "claims", "share"}
# The unit each concept must be counted in; "other" may use any unit.
UNIT_OF_CONCEPT = {
    "departures": "persons",
    "stock-abroad": "persons",
    "border-crossings": "trips",
    "residence-permits": "permits",
    "asylum-claims": "claims",
    "returns-share": "share",
}
MEASURE_TYPES = {
    "visa-suspension",
    "visa-restriction",
    "entry-ban",
    "border-closure",
    "residence-rule",
    "humanitarian-visa",
    "asylum-practice",
    "work-permit",
    "registration-rule",
    "travel-document",
    "other",
}
DIRECTIONS = {"restrictive", "facilitating", "mixed"}
GRADES = {"A", "B", "C"}
ISO3 = re.compile(r"^[A-Z]{3}$")
KEY = re.compile(r"^[a-z][a-z0-9]*_(\d{4}|nd)_[a-z0-9]+$")


def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a curated CSV, read as text so nothing is coerced silently."""
    with open(CURATED / name, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def iso(value: str) -> date | None:
    """Parse an ISO date cell; empty means unknown. Anything else than YYYY-MM-DD fails."""
    if value == "":
        return None
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), f"not an ISO date: {value!r}"
    return date.fromisoformat(value)


def number(value: str) -> float | None:
    """Parse a plain number cell (no thousands separators); empty means not given."""
    if value == "":
        return None
    assert re.fullmatch(r"-?\d+(\.\d+)?", value), f"not a plain number: {value!r}"
    return float(value)


def bib_keys() -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.MULTILINE)


@pytest.fixture(scope="module")
def estimates() -> list[dict[str, str]]:
    header, rows = read("estimates.csv")
    assert header == ESTIMATE_COLUMNS
    return rows


@pytest.fixture(scope="module")
def policies() -> list[dict[str, str]]:
    header, rows = read("policies.csv")
    assert header == POLICY_COLUMNS
    return rows


@pytest.fixture(scope="module")
def conflicts() -> list[dict[str, str]]:
    header, rows = read("conflicts.csv")
    assert header == CONFLICT_COLUMNS
    return rows


def test_bibliography_keys_are_unique_and_well_formed():
    keys = bib_keys()
    assert keys, "empty bibliography fragment"
    assert len(keys) == len(set(keys))
    assert all(KEY.match(k) for k in keys), [k for k in keys if not KEY.match(k)]
    # Every web page has an address and an access date; a book or paper read in print or in a
    # copy is cited as the printed work (source policy, rule 3), with its publisher or journal.
    from exile_report.source_policy import parse_bib

    for e in parse_bib(BIB.read_text(encoding="utf-8")):
        if e.fields.get("url"):
            assert re.match(r"https?://", e.fields["url"]), e.key
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", e.fields.get("urldate", "")), e.key
        else:
            assert e.kind in ("book", "incollection", "article", "report"), e.key
            assert (
                e.fields.get("doi")
                or e.fields.get("publisher")
                or e.fields.get("journaltitle")
                or e.fields.get("institution")
            ), e.key


def test_estimate_ids_codes_and_citations(estimates):
    ids = [r["estimate_id"] for r in estimates]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"E\d{3}", i) for i in ids)
    keys = set(bib_keys())
    for r in estimates:
        where = r["estimate_id"]
        assert r["estimator_type"] in ESTIMATOR_TYPES, where
        assert r["concept"] in CONCEPTS, where
        assert r["unit"] in UNITS, where
        assert r["concept"] == "other" or UNIT_OF_CONCEPT[r["concept"]] == r["unit"], where
        assert r["geography"] in {"WLD", "EUU"} or ISO3.match(r["geography"]), where
        assert r["grade"] in GRADES, where
        assert r["estimator"] and r["figure_as_published"], where
        for key in r["citation_key"].split(";"):
            assert key in keys, f"{where}: {key} missing from {BIB.name}"


def test_estimate_dates_parse_and_are_ordered(estimates):
    for r in estimates:
        start, end = iso(r["period_start"]), iso(r["period_end"])
        published = iso(r["date_published"])
        if start and end:
            assert start <= end, r["estimate_id"]
        if published and start:
            assert start <= published, r["estimate_id"]


def test_estimate_ranges_are_ordered_and_set(estimates):
    for r in estimates:
        low, central, high = (number(r[c]) for c in ("low", "central", "high"))
        given = [v for v in (low, central, high) if v is not None]
        assert given, f"{r['estimate_id']}: no figure"
        assert given == sorted(given), f"{r['estimate_id']}: low <= central <= high violated"
        assert all(v >= 0 for v in given), r["estimate_id"]
        if r["unit"] == "share":
            assert all(v <= 1 for v in given), f"{r['estimate_id']}: share must be a fraction"
        else:
            assert all(v == int(v) for v in given), f"{r['estimate_id']}: counts are whole numbers"


def test_estimates_cover_what_the_report_promises(estimates):
    assert len(estimates) >= 30
    assert len({r["estimator"] for r in estimates}) >= 12
    assert {r["concept"] for r in estimates} >= CONCEPTS - {"other"}
    hosts = {r["geography"] for r in estimates}
    assert hosts >= {"ARM", "GEO", "KAZ", "ISR", "TUR", "SRB", "DEU", "USA", "FIN"}
    assert hosts & {"EST", "LVA", "LTU"}, "no Baltic host-country row"
    bell = [r for r in estimates if r["estimator"] == "The Bell"]
    assert any(r["geography"] == "WLD" and r["concept"] == "stock-abroad" for r in bell), (
        "The Bell's headline total must be an estimate row"
    )


def test_policy_ids_codes_and_citations(policies):
    ids = [r["policy_id"] for r in policies]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"P\d{3}", i) for i in ids)
    keys = set(bib_keys())
    for r in policies:
        where = r["policy_id"]
        assert r["jurisdiction"] == "EUU" or ISO3.match(r["jurisdiction"]), where
        assert r["measure_type"] in MEASURE_TYPES, where
        assert r["direction"] in DIRECTIONS, where
        assert r["grade"] in GRADES, where
        assert r["summary"] and r["as_published"] and r["instrument"], where
        for key in r["citation_key"].split(";"):
            assert key in keys, f"{where}: {key} missing from {BIB.name}"


def test_policy_dates_parse_and_are_ordered(policies):
    for r in policies:
        dates = [iso(r[c]) for c in ("date_announced", "date_in_force", "date_ended")]
        known = [d for d in dates if d is not None]
        assert known == sorted(known), f"{r['policy_id']}: announced <= in force <= ended violated"


def test_policy_date_precision_matches_dates_and_summary(policies):
    """A precision is given exactly for the dates that are set; a month-only date is written as
    the month's first day, and the summary says which date is month only."""
    for r in policies:
        for field in ("date_announced", "date_in_force", "date_ended"):
            where = f"{r['policy_id']} {field}"
            precision = r[f"{field}_precision"]
            assert (precision == "") == (r[field] == ""), where
            if precision == "month":
                assert r[field].endswith("-01"), where
                assert re.search(field + r"\b[^.;]*month only", r["summary"]), where
            elif precision == "day":
                assert not re.search(field + r" month only", r["summary"]), where


def test_edition_measures_of_2025_and_2026_are_recorded(policies):
    """Issue 17: Germany's simplified humanitarian track ended when the ministry suspended all
    procedures (the same day the restrictive row begins), and the measures of 2025-26 are in."""
    by_id = {r["policy_id"]: r for r in policies}
    track = next(
        r
        for r in policies
        if r["jurisdiction"] == "DEU"
        and r["measure_type"] == "humanitarian-visa"
        and r["direction"] == "facilitating"
    )
    stop = next(
        r
        for r in policies
        if r["jurisdiction"] == "DEU"
        and r["measure_type"] == "humanitarian-visa"
        and r["direction"] == "restrictive"
    )
    assert track["date_ended"] and track["date_ended"] == stop["date_in_force"]
    assert "tablemedia_2025_humanitaerevisa" in stop["citation_key"].split(";")
    eu_2025 = [
        r
        for r in policies
        if r["jurisdiction"] == "EUU"
        and (r["date_in_force"] or r["date_announced"]) >= "2025-11-01"
    ]
    assert eu_2025 and all(r["measure_type"] == "visa-restriction" for r in eu_2025)
    assert any(
        r["jurisdiction"] == "GEO" and r["date_in_force"].startswith("2025") for r in by_id.values()
    )
    assert any(r["jurisdiction"] == "FIN" and "31 Dec 2026" in r["summary"] for r in by_id.values())


def test_policies_cover_what_the_report_promises(policies):
    dated = [r for r in policies if r["date_announced"] or r["date_in_force"] or r["date_ended"]]
    assert len(dated) >= 45
    jurisdictions = {r["jurisdiction"] for r in policies}
    assert len(jurisdictions) >= 18
    # every jurisdiction the chapter shows by default has measures
    assert jurisdictions >= set(defaults()["host-states"]["jurisdictions"])
    assert {r["direction"] for r in policies} == DIRECTIONS
    names = {}
    for r in policies:
        assert names.setdefault(r["jurisdiction"], r["jurisdiction_name"]) == r["jurisdiction_name"]


def test_conflicts_point_at_existing_rows_and_sources(conflicts, estimates, policies):
    ids = [r["conflict_id"] for r in conflicts]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"K\d{2}", i) for i in ids)
    assert {
        "K01",
        "K02",
        "K03",
        "K04",
        "K05",
        "K06",
        "K07",
        "K08",
        "K09",
        "K16",
        "K17",
        "K18",
    } <= set(ids)
    known = {
        "estimates": {r["estimate_id"] for r in estimates},
        "policies": {r["policy_id"] for r in policies},
    }
    keys = set(bib_keys())
    for r in conflicts:
        if r["table"] not in known:  # history and law conflicts: checked with those tables
            continue
        for row_id in filter(None, r["row_ids"].split(";")):
            assert row_id in known[r["table"]], f"{r['conflict_id']}: unknown row {row_id}"
        assert r["source_a"] or r["source_b"], r["conflict_id"]
        for key in filter(None, (r["source_a"] + ";" + r["source_b"]).split(";")):
            assert key in keys, f"{r['conflict_id']}: {key} missing from {BIB.name}"
        assert r["claim_a"] and r["claim_b"] and r["likely_reason"] and r["treatment"]
