"""The preface says nothing in the present tense that the data no longer show (issue 17):
Germany's humanitarian admission is dated to its stop, and France's asylum-court line is said
to hold only while the policies database has it in force at the edition's cut-off."""

from __future__ import annotations

import pandas as pd
import pytest

from exile_report import findings
from exile_report.coverage import edition_cutoff
from exile_report.data import load


def _row(policies, jurisdiction, measure_type, direction):
    rows = policies[
        (policies["jurisdiction"] == jurisdiction)
        & (policies["measure_type"] == measure_type)
        & (policies["direction"] == direction)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_germanys_humanitarian_admission_is_dated_to_its_stop():
    out = findings.host_findings()
    deu = _row(load("policies"), "DEU", "humanitarian-visa", "facilitating")
    assert pd.notna(deu["date_ended"]) and deu["date_ended"] <= edition_cutoff()
    assert out["deu_humanitarian_ended"] == f"{deu['date_ended']:%-d %B %Y}"
    assert out["deu_humanitarian_cite"].startswith("[@")


def test_frances_line_is_said_to_hold_only_while_in_force(monkeypatch):
    policies = load("policies")
    fra = _row(policies, "FRA", "asylum-practice", "facilitating")
    assert pd.isna(fra["date_ended"]) or fra["date_ended"] >= edition_cutoff()
    assert findings.host_findings()["fra_asylum_court_from"] == f"{fra['date_in_force']:%-d %B %Y}"
    ended = policies.copy()
    ended.loc[fra.name, "date_ended"] = edition_cutoff() - pd.Timedelta(days=30)
    monkeypatch.setattr(findings, "load", lambda name: ended if name == "policies" else load(name))
    with pytest.raises(ValueError, match=r"is ended at the edition's cut-off.*update index.qmd"):
        findings.host_findings()


def test_the_preface_quotes_the_host_state_findings():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "index.qmd").read_text(encoding="utf-8")
    assert "kept narrow humanitarian" not in text
    for key in ("deu_humanitarian_ended", "fra_asylum_court_from"):
        assert f"{{{{< var findings.{key} >}}}}" in text
