"""Checks of the hand-curated history and asylum-law tables against the shared column contract.

These tables are typed by hand from the research dossier, so the test guards what a typo can
break: the columns and codes other code relies on, unique ids, parseable and ordered dates,
and that every citation key resolves to an entry in the bibliography fragment.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CURATED = ROOT / "data" / "curated"
BIB = ROOT / "references.bib"

WAVES = {
    "tsarist",
    "revolution-white",
    "soviet-deportations-dissidents",
    "late-soviet-1990s",
    "putin-2011-2021",
    "invasion-2022",
    "mobilisation-2022",
    "wartime-2023-2025",
}
CATEGORIES = {
    "law",
    "repression",
    "expulsion",
    "emigration-wave",
    "exile-institution",
    "designation",
    "war",
}
LEGAL_KINDS = {
    "convention",
    "eu-directive",
    "eu-regulation",
    "judgment",
    "national-law",
    "national-practice",
    "guidance",
}
GRADES = {"A", "B", "C"}
COLUMNS = {
    "timeline.csv": [
        "event_id",
        "date",
        "date_precision",
        "end_date",
        "wave",
        "category",
        "title",
        "description",
        "as_published",
        "citation_key",
        "grade",
    ],
    "wave_estimates.csv": [
        "wave",
        "estimator",
        "period_start",
        "period_end",
        "concept",
        "low",
        "central",
        "high",
        "unit",
        "figure_as_published",
        "citation_key",
        "grade",
        "note",
        "compare_group",
    ],
    "legal.csv": [
        "legal_id",
        "kind",
        "jurisdiction",
        "court_or_body",
        "title",
        "reference",
        "date",
        "provision",
        "relevance",
        "as_published",
        "citation_key",
        "grade",
    ],
    "conflicts.csv": [
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
    ],
}


def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Return the header and the rows of one curated CSV."""
    with open(CURATED / name, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def bib_keys() -> set[str]:
    """Keys defined in the bibliography fragment."""
    return set(
        re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.MULTILINE)
    )


def keys_of(cell: str) -> list[str]:
    return [k.strip() for k in cell.split(";") if k.strip()]


def iso(value: str) -> date:
    return date.fromisoformat(value)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_columns_exactly_as_in_contract(name):
    header, rows = read(name)
    assert header == COLUMNS[name]
    assert rows, f"{name} is empty"
    for i, row in enumerate(rows, start=2):
        assert None not in row and all(v is not None for v in row.values()), f"{name}:{i} ragged"


def test_timeline_ids_codes_dates_and_coverage():
    _, rows = read("timeline.csv")
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"T\d{3}", i) for i in ids)
    for r in rows:
        where = r["event_id"]
        assert r["wave"] in WAVES, where
        assert r["category"] in CATEGORIES, where
        assert r["grade"] in GRADES, where
        assert r["date_precision"] in {"day", "month", "year"}, where
        d = iso(r["date"])
        if r["date_precision"] == "month":
            assert d.day == 1, where
        if r["date_precision"] == "year":
            assert (d.month, d.day) == (1, 1), where
        if r["end_date"]:
            assert d <= iso(r["end_date"]), where
        assert len(r["title"]) <= 60, where
        assert r["as_published"].strip() and r["description"].strip(), where
    years = [iso(r["date"]).year for r in rows]
    assert len(rows) >= 45
    assert min(years) == 1822 and max(years) == 2025
    assert {r["wave"] for r in rows} == WAVES


def test_wave_estimates_numbers_as_published():
    _, rows = read("wave_estimates.csv")
    for i, r in enumerate(rows, start=2):
        assert r["wave"] in WAVES, i
        assert r["grade"] in GRADES, i
        numbers = [r[c] for c in ("low", "central", "high") if r[c]]
        assert numbers, f"row {i}: no figure"
        assert all(re.fullmatch(r"\d+", n) for n in numbers), f"row {i}: plain integers only"
        if r["low"] and r["high"]:
            assert int(r["low"]) <= int(r["high"]), i
        assert r["figure_as_published"].strip(), i
        start = iso(r["period_start"])
        if r["period_end"]:
            assert start <= iso(r["period_end"]), i
    assert {r["wave"] for r in rows} >= WAVES - {"wartime-2023-2025"}


def test_legal_rows():
    _, rows = read("legal.csv")
    ids = [r["legal_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for r in rows:
        where = r["legal_id"]
        assert re.fullmatch(r"L\d{3}", where)
        assert r["kind"] in LEGAL_KINDS, where
        assert r["grade"] in GRADES, where
        assert re.fullmatch(r"INT|EUU|[A-Z]{3}", r["jurisdiction"]), where
        if r["date"]:
            iso(r["date"])
        assert r["as_published"].strip() and r["provision"].strip(), where
    refs = {r["reference"] for r in rows}
    assert any("C-472/13" in x and "ECLI:EU:C:2015:117" in x for x in refs)
    assert any("C-238/19" in x and "ECLI:EU:C:2020:945" in x for x in refs)


ID_COLUMNS = {
    "timeline.csv": "event_id",
    "legal.csv": "legal_id",
    "estimates.csv": "estimate_id",
    "policies.csv": "policy_id",
}


def test_conflict_rows_point_at_existing_rows():
    """Every conflict names rows that exist in the tables it names (all topics)."""
    _, rows = read("conflicts.csv")
    ids = {rid for name, col in ID_COLUMNS.items() for rid in (r[col] for r in read(name)[1])}
    cids = [r["conflict_id"] for r in rows]
    assert len(cids) == len(set(cids))
    for r in rows:
        assert re.fullmatch(r"K\d{2}", r["conflict_id"])
        for rid in keys_of(r["row_ids"]):
            assert rid in ids, (r["conflict_id"], rid)


def test_every_citation_key_is_in_the_bibliography():
    known = bib_keys()
    used: set[str] = set()
    for name, cols in (
        ("timeline.csv", ["citation_key"]),
        ("wave_estimates.csv", ["citation_key"]),
        ("legal.csv", ["citation_key"]),
        ("conflicts.csv", ["source_a", "source_b"]),
    ):
        for r in read(name)[1]:
            for c in cols:
                used.update(keys_of(r[c]))
    assert not used - known, sorted(used - known)
    assert all(re.fullmatch(r"[a-z0-9]+_(\d{4}|nd)_[a-z0-9]+", k) for k in known)


def test_bib_entries_have_required_fields():
    text = BIB.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=@)", text[text.index("@") :])
    assert len(entries) == len(bib_keys())
    for e in entries:
        key = re.match(r"@\w+\{([^,]+),", e).group(1)
        for field in ("author", "title"):
            assert re.search(rf"^\s*{field}\s*=\s*\{{", e, flags=re.MULTILINE), (key, field)
        if re.search(r"^\s*url\s*=", e, flags=re.MULTILINE):
            assert re.search(r"urldate\s*=\s*\{\d{4}-\d{2}-\d{2}\}", e), key
        else:  # a printed work cited as itself (source policy, rule 3): its venue identifies it
            assert re.search(
                r"^\s*(doi|publisher|journaltitle|institution)\s*=", e, flags=re.MULTILINE
            ), key
