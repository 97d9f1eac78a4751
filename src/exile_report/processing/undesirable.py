"""Russian list of "undesirable" foreign and international organisations (state of
2026-07-03): inclusions per date and, where stated, the organisation's country
(``undesirable_designations``), and per year (``undesirable_per_year``, whose last year is
marked ``partial_year`` with the day it is covered to in ``period_end``).

The older state of 2024-09-05 stays registered (its checksums are verified) but is superseded:
all of its 188 entries are in the newer state with the same dates, which a test checks.

The country is taken only when the entry *ends* with a country name we know, in brackets
or after a comma (e.g. "... (США)", "..., ФРГ"). Anything else is left empty rather than
guessed; the count of unparsed entries is visible in the table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from exile_report.processing._common import per_year, read_json_list, snapshot_date
from exile_report.processing._common import save as _save
from exile_report.processing.countries import RU_TO_ISO3

SOURCE_ID = "ru-minjust-undesirable-organizations-2026-07-03"
FILE = "undesirable_organizations_2026-07-03.json"
_TAIL_BRACKET = re.compile(r"\(([^()]*)\)\s*$")
_TAIL_COMMA = re.compile(r"[,»)]\s*([^,»()«]+?)\s*$")


def load(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """Read the list (names are needed only to read the country; they are not output)."""
    return {"list": read_json_list(Path(raw_dir) / SOURCE_ID / FILE, ["name", "dateIn"])}


def country_of(name: str) -> str:
    """ISO3 of the country named at the end of an entry, or '' if none is stated clearly."""
    text = " ".join(name.split())
    for pattern in (_TAIL_BRACKET, _TAIL_COMMA):
        m = pattern.search(text)
        if m and m.group(1).strip() in RU_TO_ISO3:
            return RU_TO_ISO3[m.group(1).strip()]
    return ""


def per_date(dates: pd.Series, names: pd.Series) -> pd.DataFrame:
    """Inclusions per date × country (the country read from the name, or missing)."""
    lst = pd.DataFrame(
        {"date": dates.to_numpy(), "org_country_iso3": [country_of(n) for n in names]}
    )
    table = lst.groupby(["date", "org_country_iso3"]).size().rename("count").reset_index()
    table["count"] = table["count"].astype("int64")
    table["org_country_iso3"] = table["org_country_iso3"].replace("", pd.NA)
    return table[["date", "org_country_iso3", "count"]]


def process(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Inclusions per date × country, and per year with the snapshot's year marked partial."""
    lst = frames["list"]
    table = per_date(lst["dateIn"], lst["name"])
    years = per_year(
        table, int(table["date"].dt.year.min()), snapshot_date(SOURCE_ID), "designations"
    )
    return {"undesirable_designations": table, "undesirable_per_year": years}


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the tables as deterministic CSV."""
    return _save(tables, out_dir)
