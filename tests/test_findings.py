"""The preface's key findings: computed by the chapters' own functions, written in the book's
formats, and every one of them used by the preface."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from exile_report import findings
from exile_report.data import load

ROOT = Path(__file__).resolve().parents[1]


def test_findings_match_a_direct_count_of_the_data():
    out = findings.compute()
    fa = load("foreign_agents_per_date")  # the register's latest state, as chapter 1 counts it
    des = fa[fa["event"] == "designation"]
    total = int(des["count"].sum())
    after = int(des.loc[des["date"] >= pd.Timestamp("2022-02-24"), "count"].sum())
    assert out["fa_entries"] == f"{total:,}" and out["fa_after_invasion"] == f"{after:,}"
    assert out["fa_share_after_invasion"] == f"{round(100 * after / total)}%"
    assert out["invasion_date"] == "24 February 2022"
    apps = load("unhcr_applications")
    new = apps[(apps["origin_iso3"] == "RUS") & (apps["app_type"] == "N") & (apps["app_pc"] == "P")]
    by_year = new.groupby("year")["applied"].sum()
    assert out["rus_new_apps_peak_year"] == str(int(by_year.idxmax()))
    assert out["rus_new_apps_2021"] == f"{int(by_year[2021]):,}"


def test_every_finding_is_text_and_the_preface_uses_only_findings_that_exist():
    out = findings.compute()
    assert all(isinstance(v, str) and v and "nan" not in v for v in out.values())
    used = set(re.findall(r"\{\{< var findings\.(\w+) >\}\}", (ROOT / "index.qmd").read_text()))
    assert used and used <= set(out)
