"""Processing: raw snapshots reproduce the committed processed files byte for byte, checksums
guard the raw files, and the registers' counts agree with their PROVENANCE.md."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from _data_helpers import RAW, ROOT, needs_raw
from exile_report import processing
from exile_report.data import DataError
from exile_report.processing import uk_home_office
from exile_report.sources import load_register

PROCESSED = ROOT / "data" / "processed"


@needs_raw
def test_rerun_reproduces_committed_files_byte_for_byte(tmp_path):
    written = processing.run_all(RAW, tmp_path)
    assert {p.name for p in written} == {p.name for p in PROCESSED.iterdir() if p.is_file()}
    for path in written:
        assert path.read_bytes() == (PROCESSED / path.name).read_bytes(), path.name


@needs_raw
def test_corrupted_raw_file_is_named_with_both_hashes(tmp_path):
    source = next(s for s in load_register() if s["id"] == "press-reported-emigration-figures")
    shutil.copytree(RAW / source["id"], tmp_path / source["id"])
    target = tmp_path / source["id"] / "press_reported_emigration_figures.csv"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes().replace(b"650000", b"650001", 1))
    expected = next(f["sha256"] for f in source["files"] if f["name"] == target.name)
    with pytest.raises(DataError) as err:
        processing.verify_raw(tmp_path, [source])
    message = str(err.value)
    assert target.name in message and expected in message
    assert re.search(r"actual [0-9a-f]{64}", message)


def test_missing_raw_file_is_named(tmp_path):
    source = {"id": "some-source", "files": [{"name": "x.csv", "sha256": "0" * 64, "bytes": 1}]}
    with pytest.raises(DataError, match=r"some-source/x\.csv: raw file missing"):
        processing.verify_raw(tmp_path, [source])


def _provenance_counts(text: str, heading: str) -> dict[int, int]:
    """'Inclusions per year (...): 2013: 1, 2014: 29, ..., 2025 (to 15 Aug): 144.'"""
    line = next(ln for ln in text.splitlines() if ln.lstrip("- ").startswith(heading))
    body = line.split("):", 1)[1] if "):" in line.split(":")[0] + "):" else line
    return {int(y): int(n) for y, n in re.findall(r"(\d{4})(?: \([^)]*\))?: (\d+)", body)}


@needs_raw
@pytest.mark.parametrize(
    "source, table",
    [
        ("ru-minjust-foreign-agents-registry", "foreign_agents_events"),
        ("ru-minjust-undesirable-organizations", "undesirable_designations"),
    ],
)
def test_yearly_designations_equal_provenance(source, table):
    """Counted up to the snapshot's own date (``period_end`` in the register): the undesirable
    list of 2024-09-05 is superseded by the 2026 state, which must hold its entries unchanged."""
    stated = _provenance_counts(
        (RAW / source / "PROVENANCE.md").read_text(encoding="utf-8"), "Inclusions per year"
    )
    assert len(stated) >= 10
    until = next(s["period_end"] for s in load_register() if s["id"] == source)
    df = pd.read_csv(PROCESSED / f"{table}.csv", parse_dates=["date"])
    df = df[df["date"] <= pd.Timestamp(until)]
    if "event" in df:
        df = df[df["event"] == "designation"]
    counted = df.groupby(df["date"].dt.year)["count"].sum().to_dict()
    assert counted == stated


@needs_raw
def test_processed_registers_hold_no_personal_identifiers():
    raw = pd.read_csv(
        RAW / "ru-minjust-foreign-agents-registry" / "foreign_agents_registry_2025-08-15.csv",
        dtype=str,
        keep_default_na=False,
    )
    identifiers = set()
    for col in ("name", "information_resources", "participants", "registration_number", "ogrn"):
        identifiers |= {v for v in raw[col] if len(v) > 3}
    people = {v for v in raw.loc[raw["agent_type"] == "Физические лица", "name"] if v}
    assert len(people) > 100

    def cells(path):
        return set(pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel())

    for name in ("foreign_agents_events", "foreign_agents_legal_bases", "undesirable_designations"):
        assert not identifiers & cells(PROCESSED / f"{name}.csv"), name
    for path in PROCESSED.glob("*.csv"):  # organisations (e.g. media) may be named elsewhere
        assert not people & cells(path), path.name
    events = pd.read_csv(PROCESSED / "foreign_agents_events.csv")
    assert list(events.columns) == ["date", "event", "agent_type", "legal_basis", "count"]
    assert not events.astype(str).apply(lambda c: c.str.contains(r"[А-Яа-я]")).any().any()


def _totals_frame(**change) -> pd.DataFrame:
    """One league-table row of the 2025-12 UK snapshot, as ``uk_home_office.load`` gives it."""
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
    return pd.DataFrame([row | change])


def test_grant_rate_mismatch_with_source_is_reported():
    frames = {
        "applications": pd.DataFrame(
            {
                "Year": [2024],
                "Quarter": ["2024 Q1"],
                "Nationality": ["Russia"],
                "Applicant type": ["Dependant"],
                "Applications": [1],
            }
        ),
        "decisions": pd.DataFrame(
            {
                "Year": [2024],
                "Quarter": ["2024 Q1"],
                "Nationality": ["Russia"],
                "Case type": ["Asylum Case"],
                "Applicant type": ["Dependant"],
                "Case outcome group": ["Refused"],
                "Decisions": [1],
            }
        ),
        "grant_rates": pd.DataFrame(
            {
                "Year": [2024, 2024],
                "Nationality": ["Russia", "Ukraine"],
                "Grant": [1, 3],
                "Refused": [1, 1],
                "Initial grant rate": [0.5, 0.7],
            }
        ),
        "countries": pd.DataFrame({"name": ["Ukraine"], "iso_code": ["UKR"]}),
        "totals": _totals_frame(),
    }
    with pytest.raises(DataError, match=r"row 3: column Initial grant rate: source says 0\.7"):
        uk_home_office.process(frames)
    frames["grant_rates"].loc[1, "Initial grant rate"] = 0.75
    rates = uk_home_office.process(frames)["uk_grant_rates"]
    assert rates["grant_rate"].tolist() == [0.5, 0.75]
    assert rates["months_covered"].tolist() == [3, 3]
