"""Russian list of "undesirable" foreign and international organisations (state of
2024-09-05): inclusions per date and, where stated, the organisation's country.

The country is taken only when the entry *ends* with a country name we know, in brackets
or after a comma (e.g. "... (США)", "..., ФРГ"). Anything else is left empty rather than
guessed; the count of unparsed entries is visible in the table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from exile_report.processing._common import read_csv
from exile_report.processing._common import save as _save
from exile_report.processing.countries import RU_TO_ISO3

SOURCE_ID = "ru-minjust-undesirable-organizations"
FILE = "undesirable_organizations_2024-09-05.csv"
KEYS = {"undesirable_designations": ["date", "org_country_iso3"]}
_TAIL_BRACKET = re.compile(r"\(([^()]*)\)\s*$")
_TAIL_COMMA = re.compile(r"[,»)]\s*([^,»()«]+?)\s*$")


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the list (names are needed only to read the country; they are not output)."""
    path = Path(raw_dir) / SOURCE_ID / FILE
    return {"list": read_csv(path, dtype=str).fillna("")}


def country_of(name: str) -> str:
    """ISO3 of the country named at the end of an entry, or '' if none is stated clearly."""
    text = " ".join(name.split())
    for pattern in (_TAIL_BRACKET, _TAIL_COMMA):
        m = pattern.search(text)
        if m and m.group(1).strip() in RU_TO_ISO3:
            return RU_TO_ISO3[m.group(1).strip()]
    return ""


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Inclusions per date × country."""
    lst = frames["list"]
    lst = lst.assign(
        date=pd.to_datetime(lst["inclusion_date_iso"], format="%Y-%m-%d"),
        org_country_iso3=[country_of(n) for n in lst["full_name"]],
    )
    table = lst.groupby(["date", "org_country_iso3"]).size().rename("count").reset_index()
    table["count"] = table["count"].astype("int64")
    table["org_country_iso3"] = table["org_country_iso3"].replace("", pd.NA)
    return {"undesirable_designations": table[["date", "org_country_iso3", "count"]]}


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save({n: (t, KEYS[n]) for n, t in tables.items()}, out_dir)
