"""Russian Ministry of Justice register of "foreign agents" (export of 2025-08-15):
designations and removals counted per decision date, type and legal basis.

Only four columns are ever read (type, legal basis, two decision dates), so no name,
pseudonym, website, member list or registration number can leak into processed data."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from exile_report.data import DataError
from exile_report.processing._common import map_codes, read_csv
from exile_report.processing._common import save as _save

SOURCE_ID = "ru-minjust-foreign-agents-registry"
FILE = "foreign_agents_registry_2025-08-15.csv"
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
    "Общественные объединения, действующие без образования юридического лица":
        "unregistered-public-association",
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
KEYS = {
    "foreign_agents_events": ["date", "event", "agent_type", "legal_basis"],
    "foreign_agents_legal_bases": ["legal_basis"],
}


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read only the non-identifying columns of the register."""
    path = Path(raw_dir) / SOURCE_ID / FILE
    return {"register": read_csv(path, usecols=COLUMNS, dtype=str).fillna("")}


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


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Counts per date × event × type × basis, plus the legal-basis lookup."""
    reg = frames["register"]
    bases = pd.DataFrame([_basis(t) for t in sorted(set(reg["basis_for_inclusion"]))])
    code = dict(zip(bases["basis_as_published"], bases["legal_basis"]))
    reg = reg.assign(
        agent_type=map_codes(reg["agent_type"], AGENT_TYPES, "agent_type", FILE),
        legal_basis=reg["basis_for_inclusion"].map(code),
    )
    events = []
    for event, col in (("designation", "inclusion_decision_date_iso"),
                       ("removal", "exclusion_decision_date_iso")):
        rows = reg[reg[col] != ""]
        counts = (rows.groupby([col, "agent_type", "legal_basis"]).size()
                  .rename("count").reset_index().rename(columns={col: "date"}))
        events.append(counts.assign(event=event))
    table = pd.concat(events, ignore_index=True)
    table["date"] = pd.to_datetime(table["date"], format="%Y-%m-%d")
    table["count"] = table["count"].astype("int64")
    return {
        "foreign_agents_events": table[["date", "event", "agent_type", "legal_basis", "count"]],
        "foreign_agents_legal_bases": bases,
    }


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save({n: (t, KEYS[n]) for n, t in tables.items()}, out_dir)
