"""The edition's cut-off and the dates of the data (issue 17): one cut-off in ``_quarto.yml``,
each source's own last day in ``data/sources.yml``, and every "as of" or snapshot date the data
layer reports (history's snapshot dates, the per-year tables' ``period_end``, the coverage
statements, the host-state default) agrees with them."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from _data_helpers import ROOT
from exile_report import coverage, execute
from exile_report.analysis import history as h
from exile_report.analysis import host_states as hs
from exile_report.coverage import table_until
from exile_report.data import DataError, load
from exile_report.params import CHAPTER_MODULES
from exile_report.schemas import bib_keys
from exile_report.sources import load_register

REGISTER = {s["id"]: s for s in load_register()}


def _until(source_id: str) -> pd.Timestamp:
    return pd.Timestamp(REGISTER[source_id]["period_end"])


def _source_writing(table: str) -> dict:
    return next(s for s in REGISTER.values() if f"{table}.csv" in s["outputs"])


# ------------------------------------------------------------------ one cut-off, one place


def test_cutoff_is_read_from_the_edition_block_of_quarto_yml():
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert coverage.edition_cutoff() == pd.Timestamp(config["edition"]["cutoff"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("project:\n  type: book\n", "no 'edition: cutoff:' block"),
        ("edition:\n  cutoff: 30 November 2026\n", "is not a YYYY-MM-DD date"),
        ("edition:\n  cutoff: '2026-13-45'\n", "is not a YYYY-MM-DD date"),
    ],
)
def test_missing_or_bad_cutoff_is_named(tmp_path, text, message):
    (tmp_path / "_quarto.yml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        coverage.edition_cutoff(tmp_path)


def test_the_host_state_default_is_the_cutoff():
    """The cut-off is typed once in _quarto.yml; the host-state chapter's default date is read
    from it, and the notebook's own parameters cell (checked against the declarations) agrees."""
    from exile_report.params import chapter_specs

    cutoff = f"{coverage.edition_cutoff():%Y-%m-%d}"
    spec = chapter_specs()["host-states"]
    assert next(p.default for p in spec.params if p.name == "as_of") == cutoff
    notebook = (ROOT / "chapters" / "03-host-states.ipynb").read_text(encoding="utf-8")
    assert f"as_of = '{cutoff}'" in notebook or f'as_of = \\"{cutoff}\\"' in notebook


def test_changing_the_cutoff_changes_every_chapters_fingerprint(tmp_path):
    (tmp_path / "data").mkdir()
    quarto = tmp_path / "_quarto.yml"
    quarto.write_text("edition:\n  cutoff: '2026-11-30'\n", encoding="utf-8")
    before = execute.inputs_fingerprint(tmp_path)
    quarto.write_text("edition:\n  cutoff: '2026-12-31'\n", encoding="utf-8")
    assert execute.inputs_fingerprint(tmp_path) != before


# ------------------------------------------------------------------ source dates


def test_every_source_date_is_on_or_before_the_cutoff():
    cutoff = coverage.edition_cutoff()
    for source in REGISTER.values():
        for field in ("date_published", "period_end"):
            if source[field]:
                assert pd.Timestamp(source[field]) <= cutoff, (source["id"], field)


def test_the_appendix_prints_each_sources_date_from_the_register():
    from exile_report.escape import markdown_text
    from exile_report.sources import source_sections

    text = source_sections()
    for source in REGISTER.values():
        section = text.split(f"### {markdown_text(source['title'])}", 1)[1].split("\n### ", 1)[0]
        if source["period_end"]:
            day = pd.Timestamp(source["period_end"])
            assert f"**data to:** {day.day} {day:%B %Y}" in section, source["id"]
        else:
            assert "**data to:**" not in section, source["id"]


def test_history_snapshot_dates_are_the_register_dates():
    """Chapter 1 types no snapshot date: the constants are gone and every date it prints
    comes from table_until, i.e. the source's period_end."""
    assert not [n for n in dir(h) if n.endswith("_SNAPSHOT")]
    with pytest.raises(AttributeError):
        _ = h.UNDESIRABLE_SNAPSHOT
    assert table_until("undesirable_designations") == _until(
        "ru-minjust-undesirable-organizations-2026-07-03"
    )
    assert table_until("foreign_agents_per_year") == _until(
        "ru-minjust-foreign-agents-registry-2026-07-10"
    )
    assert table_until("foreign_agents_events") == _until("ru-minjust-foreign-agents-registry")


def test_no_processed_table_reaches_past_its_sources_date():
    """Every table's latest row (a date, a period end, or the end of its last year or quarter)
    lies on or before its source's period_end; per-year tables end exactly on it."""
    assert coverage.date_problems() == []


def test_year_series_end_on_their_sources_date():
    """For the statistical series the register's date is the end of the data, not a guess."""
    for table in (
        "unhcr_population_origin_year",
        "unhcr_applications",
        "uk_applications",
        "uk_initial_decisions",
        "uk_initial_decisions_totals",
        "press_figures",
    ):
        assert coverage.latest_date(load(table)) == _until(_source_writing(table)["id"]), table


def test_date_problems_names_a_table_that_reaches_past_its_source(monkeypatch):
    register = [
        dict(REGISTER["ru-minjust-undesirable-organizations-2026-07-03"], period_end="2026-06-30")
    ]
    monkeypatch.setattr(coverage, "_register", lambda: register)
    problems = coverage.date_problems()
    assert any(
        "undesirable_designations.csv: rows reach 2026-07-03, after the source's "
        "period_end 2026-06-30" in p
        for p in problems
    )
    assert any(
        "undesirable_per_year.csv: period_end 2026-07-03 is not the source's 2026-06-30" in p
        for p in problems
    )


def test_latest_date_of_year_quarter_and_partial_year_tables():
    assert coverage.latest_date(
        pd.DataFrame({"year": [2023, 2024], "quarter": [4, 3]})
    ) == pd.Timestamp("2024-09-30")
    assert coverage.latest_date(
        pd.DataFrame({"year": [2024, 2024], "months_covered": [9, 9]})
    ) == pd.Timestamp("2024-09-30")
    assert coverage.latest_date(pd.DataFrame({"year": [2025]})) == pd.Timestamp("2025-12-31")
    assert coverage.latest_date(
        pd.DataFrame({"year": [2026], "period_end": pd.to_datetime(["2026-07-10"])})
    ) == pd.Timestamp("2026-07-10")


# ------------------------------------------------------------------ per chapter


def _loaded_tables(notebook: str) -> set[str]:
    text = (ROOT / notebook).read_text(encoding="utf-8")
    return set(re.findall(r"""\b(?:load|geojson)\(\\?["']([a-z0-9_]+)\\?["']""", text))


@pytest.mark.parametrize("chapter", [k for k, (_, m) in CHAPTER_MODULES.items() if m])
def test_every_table_a_chapter_loads_is_in_its_coverage(chapter):
    notebook = CHAPTER_MODULES[chapter][0]
    loaded = _loaded_tables(notebook)
    assert loaded, notebook
    assert loaded <= set(coverage.CHAPTER_TABLES[chapter]), loaded - set(
        coverage.CHAPTER_TABLES[chapter]
    )


@pytest.mark.parametrize("chapter", list(coverage.CHAPTER_TABLES))
def test_chapter_coverage_reports_each_sources_own_date_and_citation(chapter):
    cov = coverage.chapter_coverage(chapter)
    keys = set(bib_keys())
    sources = cov[cov["kind"] == "source"]
    assert len(sources) >= 1
    for r in sources.itertuples():
        assert r.until == _until(r.id), r.id
        assert all(k in keys for k in r.citation_keys.split(";")), r.id
        for table in r.tables.split(";"):
            assert f"{table}.csv" in REGISTER[r.id]["outputs"]
    text = coverage.coverage_markdown(chapter)
    assert f"{coverage.edition_cutoff():%-d %B %Y}" in text
    for r in sources.itertuples():
        assert f"{r.until:%-d %B %Y} for the {r.label} [@" in text, r.id


def test_history_coverage_has_both_register_snapshots_and_the_2026_counts():
    cov = coverage.chapter_coverage("history").set_index("id")
    assert cov.loc["ru-minjust-foreign-agents-registry-2026-07-10", "until"] == _until(
        "ru-minjust-foreign-agents-registry-2026-07-10"
    )
    assert "foreign_agents_events" in cov.loc["ru-minjust-foreign-agents-registry", "tables"]
    assert "ru-minjust-undesirable-organizations" not in cov.index  # superseded


def test_table_citation_follows_the_snapshot_that_writes_the_table():
    assert coverage.table_citation("undesirable_designations") == "[@minjust_2026_undesirable]"
    assert coverage.table_citation("foreign_agents_events") == "[@minjust_2025_foreignagents]"
    # the press snapshot cites the pages its figures were read from, as the register lists them
    from exile_report.prose import cite
    from exile_report.sources import citation_keys

    press = next(s for s in REGISTER.values() if "press_figures.csv" in s.get("outputs", []))
    assert coverage.table_citation("press_figures") == cite(citation_keys(press))
    assert "moscowtimes_2022_fsbq1" in coverage.table_citation("press_figures")
    with pytest.raises(DataError, match="no source writes policies.csv"):
        coverage.table_citation("policies")


def test_unknown_chapter_is_named():
    with pytest.raises(DataError, match="unknown chapter 'nope'"):
        coverage.chapter_coverage("nope")


# ------------------------------------------------------------------ host states at the cut-off


def test_host_state_database_as_of_the_cutoff():
    """No measure starts after the cut-off; on the cut-off Germany's simplified humanitarian
    track has ended, so Germany is no longer shown as facilitating."""
    policies = load("policies")
    cutoff = coverage.edition_cutoff()
    for col in ("date_announced", "date_in_force"):
        assert (policies[col].dropna() <= cutoff).all(), col
    status = hs.status_as_of(policies, cutoff)
    track = policies[
        (policies["jurisdiction"] == "DEU")
        & (policies["measure_type"] == "humanitarian-visa")
        & (policies["direction"] == "facilitating")
    ]
    assert (status[track.index] == "ended").all()
    stance = hs.stance_as_of(policies, cutoff, ["DEU"]).set_index("jurisdiction")
    assert stance.loc["DEU", "stance"] != "facilitating"


def test_a_newly_declared_chapter_gets_its_opening_paragraph(monkeypatch):
    """A chapter added to CHAPTER_TABLES (the closing chapter, say) needs nothing else: its
    paragraph names its sources' dates, its curated tables' latest entries and the cut-off."""
    monkeypatch.setitem(
        coverage.CHAPTER_TABLES, "conclusion", ("foreign_agents_per_year", "policies")
    )
    text = coverage.coverage_markdown("conclusion")
    until = _until(_source_writing("foreign_agents_per_year")["id"])
    assert text.startswith(f"This chapter's data run to {until:%-d %B %Y} for the ")
    policies = load("policies")
    latest = max(policies[c].max() for c in ("date_announced", "date_in_force", "date_ended"))
    assert f"The table compiled by the report team reaches {latest:%-d %B %Y} (" in text
    assert text.endswith(f"events to {coverage.edition_cutoff():%-d %B %Y}, its cut-off.")
    monkeypatch.setitem(coverage.CHAPTER_TABLES, "conclusion", ())
    assert coverage.coverage_markdown("conclusion") == coverage.edition_markdown()
