"""Russian Ministry of Justice register of "foreign agents", from two snapshots.

- The export of 2025-08-15 has each entry's agent type and legal basis: designations and
  removals per decision date, type and basis (``foreign_agents_events``).
- The copy of 2026-07-10 is newer but lacks types, legal bases and five de-duplicated names:
  designations and removals per date and kind (person or not; ``foreign_agents_per_date``)
  and per year (``foreign_agents_per_year``), where the snapshot's last year is marked
  ``partial_year`` and ``period_end`` says up to which day each year is covered.

Only type, legal basis, person flag and decision dates are ever read, so no name, pseudonym,
website, member list or registration number can leak into processed data."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from exile_report.data import DataError
from exile_report.processing._common import (
    map_codes,
    per_year,
    read_csv,
    read_json_list,
    snapshot_date,
)
from exile_report.processing._common import save as _save

SOURCE_ID = "ru-minjust-foreign-agents-registry"
FILE = "foreign_agents_registry_2025-08-15.csv"
SOURCE_ID_2026 = "ru-minjust-foreign-agents-registry-2026-07-10"
FILE_2026 = "foreign_agents_2026-07-10.json"
COLUMNS = [
    "agent_type",
    "basis_for_inclusion",
    "inclusion_decision_date_iso",
    "exclusion_decision_date_iso",
]
AGENT_TYPES = {
    "Физические лица": "individual",
    "Юридические лица": "legal-entity",
    "Иные объединения лиц": "other-association",
    "Общественные объединения, действующие без образования юридического лица": "unregistered-public-association",
    "Иностранные структуры без образования юридического лица": "foreign-structure",
    "": "unknown",
}
# English titles of the laws named in the register's "basis for inclusion" column.
LAW_TITLES_EN = {
    "255-FZ": "On control over the activities of persons under foreign influence",
    "7-FZ": "On non-commercial organisations",
    "2124-1": "On the mass media",
    "272-FZ": "On measures against persons involved in violations of fundamental human rights "
    "and freedoms, rights and freedoms of citizens of the Russian Federation",
    "82-FZ": "On public associations",
}
BASIS_RE = re.compile(
    r"^Статья (?P<article>[\d.]+) (?:Федерального закона|Закона Российской Федерации) "
    r"от (?P<d>\d\d)\.(?P<m>\d\d)\.(?P<y>\d{4}) № (?P<law>[\d]+(?:-ФЗ|-1))"
)
ENTRY_KIND = {1: "individual", 0: "organisation"}


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read only the non-identifying columns of the register."""
    path = Path(raw_dir) / SOURCE_ID / FILE
    return {
        "register": read_csv(path, usecols=COLUMNS, dtype=str).fillna(""),
        "register_2026": read_json_list(
            Path(raw_dir) / SOURCE_ID_2026 / FILE_2026, ["is_person", "dateIn", "dateOut"]
        ),
    }


def _basis(text: str) -> dict:
    """Parse 'Статья 7 Федерального закона от 14.07.2022 № 255-ФЗ «…»' into a short code."""
    m = BASIS_RE.match(text)
    if not m:
        raise DataError(f"{FILE}: column basis_for_inclusion: cannot parse {text!r}")
    law = m["law"].replace("-ФЗ", "-FZ")
    if law not in LAW_TITLES_EN:
        raise DataError(f"{FILE}: column basis_for_inclusion: unknown law {law!r} in {text!r}")
    return {
        "legal_basis": f"{law}-art{m['article']}",
        "law": law,
        "article": m["article"],
        "law_date": f"{m['y']}-{m['m']}-{m['d']}",
        "law_title_en": LAW_TITLES_EN[law],
        "basis_as_published": text,
    }


def counts_2026(reg: pd.DataFrame, snapshot: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The 2026 copy: designations and removals per date × kind, and per year with the
    snapshot's year marked partial. ``dateIn``/``dateOut`` are already dates (NaT when absent)."""
    bad = ~reg["is_person"].isin(list(ENTRY_KIND))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{FILE_2026}: entry {i + 1}: unknown is_person {str(reg['is_person'].iloc[i])!r}"
        )
    per_date = _counts_per_event(
        reg.assign(entry_kind=reg["is_person"].map(ENTRY_KIND)),
        {"designation": "dateIn", "removal": "dateOut"},
        ["entry_kind"],
    )
    per_date = per_date[["date", "event", "entry_kind", "count"]]

    des = per_date[per_date["event"] == "designation"]
    rem = per_date[per_date["event"] == "removal"]
    first = int(des["date"].dt.year.min())
    years = per_year(des, first, snapshot, "designations")
    years["designations_individuals"] = (
        des[des["entry_kind"] == "individual"]
        .groupby(des["date"].dt.year)["count"]
        .sum()
        .reindex(years["year"], fill_value=0)
        .astype("int64")
        .to_numpy()
    )
    years["removals"] = per_year(rem, first, snapshot, "removals")["removals"].to_numpy()
    cols = [
        "year",
        "designations",
        "designations_individuals",
        "removals",
        "period_end",
        "partial_year",
    ]
    return {"foreign_agents_per_date": per_date, "foreign_agents_per_year": years[cols]}


def _counts_per_event(reg: pd.DataFrame, dates: dict[str, str], by: list[str]) -> pd.DataFrame:
    """Entries of ``reg`` counted per date and ``by`` columns, for each event: ``dates`` maps an
    event (designation, removal) to the column holding its date; an entry without one (NaT or
    "") does not count. Columns: date, the ``by`` columns, count (int64), event."""
    events = []
    for event, col in dates.items():
        rows = reg[reg[col].notna() & reg[col].astype(str).ne("")]
        counts = (
            rows.groupby([col, *by])
            .size()
            .rename("count")
            .reset_index()
            .rename(columns={col: "date"})
        )
        events.append(counts.assign(event=event))
    table = pd.concat(events, ignore_index=True)
    table["count"] = table["count"].astype("int64")
    return table


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Counts per date × event × type × basis, plus the legal-basis lookup (2025 export);
    counts per date × kind and per year (2026 copy)."""
    reg = frames["register"]
    bases = pd.DataFrame([_basis(t) for t in sorted(set(reg["basis_for_inclusion"]))])
    code = dict(zip(bases["basis_as_published"], bases["legal_basis"]))
    reg = reg.assign(
        agent_type=map_codes(reg["agent_type"], AGENT_TYPES, "agent_type", FILE),
        legal_basis=reg["basis_for_inclusion"].map(code),
    )
    table = _counts_per_event(
        reg,
        {"designation": "inclusion_decision_date_iso", "removal": "exclusion_decision_date_iso"},
        ["agent_type", "legal_basis"],
    )
    table["date"] = pd.to_datetime(table["date"], format="%Y-%m-%d")
    return {
        "foreign_agents_events": table[["date", "event", "agent_type", "legal_basis", "count"]],
        "foreign_agents_legal_bases": bases,
        **counts_2026(frames["register_2026"], snapshot_date(SOURCE_ID_2026)),
    }


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save(tables, out_dir)
