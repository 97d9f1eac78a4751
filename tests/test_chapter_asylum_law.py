"""Chapter 4 (asylum law): rate functions on hand-made decisions, yearly totals against the
processed data, the notebook with other parameters, and refusal of an unknown origin."""

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from exile_report import execute
from exile_report.analysis import asylum as A
from exile_report.data import load
from exile_report.execute import ChapterRun
from exile_report.params import ParamError, resolve_params
from exile_report.paths import ROOT


def _decisions(rows):
    cols = [
        "year",
        "origin_iso3",
        "asylum_iso3",
        "asylum_name",
        "dec_level",
        "dec_pc",
        "dec_recognized",
        "dec_other",
        "dec_rejected",
        "dec_closed",
        "dec_total",
    ]
    df = pd.DataFrame(rows, columns=cols)
    for c in cols[6:]:
        df[c] = df[c].astype("Int64")
    return df


def test_rates_known_answers():
    d = _decisions(
        [
            (2023, "RUS", "DEU", "Germany", "FI", "P", 20, 10, 70, 100, 200),
            (2023, "RUS", "FRA", "France", "FI", "P", 0, 0, 0, 0, 0),  # zero decisions
        ]
    )
    r = A.add_rates(d, min_decisions=0)
    de = r.iloc[0]
    assert de.substantive == 100
    assert de.refugee_rate == pytest.approx(0.20)
    assert de.protection_rate == pytest.approx(0.30)
    assert de.closed_share == pytest.approx(0.50)
    fr = r.iloc[1]  # no division error, just missing
    assert pd.isna(fr.refugee_rate) and pd.isna(fr.protection_rate) and pd.isna(fr.closed_share)


def test_rates_hidden_below_minimum():
    d = _decisions([(2023, "RUS", "ESP", "Spain", "FI", "P", 30, 0, 19, 1, 50)])
    r = A.add_rates(d, min_decisions=50).iloc[0]
    assert pd.isna(r.refugee_rate)  # 49 substantive decisions < 50
    assert r.closed_share == pytest.approx(1 / 50)  # 50 decisions in all: shown


def test_persons_and_cases_never_added():
    d = _decisions(
        [
            (2022, "RUS", "USA", "United States of America", "FI", "P", 10, 0, 10, 0, 20),
            (2022, "RUS", "USA", "United States of America", "FI", "C", 5, 0, 5, 0, 10),
            (2023, "RUS", "USA", "United States of America", "FI", "P", 30, 0, 10, 0, 40),
        ]
    )
    with pytest.raises(ValueError, match="persons"):
        A.sum_decisions(d, ["asylum_iso3"])
    by = A.decisions_by_destination(d, "RUS", 2022, 2023, min_decisions=0)
    assert len(by) == 2
    p = by[by.dec_pc == "P"].iloc[0]
    c = by[by.dec_pc == "C"].iloc[0]
    assert (p.dec_total, p.dec_recognized) == (60, 40)
    assert p.refugee_rate == pytest.approx(40 / 60)
    assert (c.dec_total, c.refugee_rate) == (10, pytest.approx(0.5))


def test_applications_keep_units_apart():
    apps = pd.DataFrame(
        {
            "year": [2005, 2005, 2006, 2006],
            "origin_iso3": ["RUS"] * 4,
            "asylum_iso3": ["AUT", "USA", "AUT", "USA"],
            "asylum_name": ["Austria", "US"] * 2,
            "procedure_type": ["G"] * 4,
            "app_type": ["V", "N", "N", "N"],
            "dec_level": ["FI", "IN", "FI", "IN"],
            "app_pc": ["P", "C", "P", "C"],
            "applied": [100, 7, 50, 9],
        }
    )
    y = A.yearly_applications(apps, "RUS", 2005, 2006).set_index("year")
    assert y.loc[2005, "unsplit_persons"] == 100 and pd.isna(y.loc[2005, "new_persons"])
    assert y.loc[2005, "new_cases"] == 7 and y.loc[2006, "new_persons"] == 50
    assert list(A.persons_lodged(y.reset_index())) == [100, 50]
    top = A.top_destinations(apps, "RUS", 2005, 2006, 5)
    assert set(top.asylum_iso3) == {"AUT"}  # cases are not ranked against persons


def test_yearly_totals_match_processed_data():
    apps = load("unhcr_applications")
    per_origin = load("unhcr_applications_origin_year")
    for origin in A.ORIGINS:
        y = A.yearly_applications(apps, origin, 2000, 2025).set_index("year")
        ref = per_origin[(per_origin.origin_iso3 == origin) & (per_origin.app_type == "N")]
        for row in ref.itertuples():
            if row.year not in y.index:
                continue
            mine = int(y.loc[row.year, ["new_persons", "new_cases"]].fillna(0).sum())
            assert mine == int(row.applied), (origin, row.year)
    # a known value: 72,053 new applications by Russians counted as persons in 2023
    assert A.yearly_applications(apps, "RUS", 2023, 2023).new_persons.iloc[0] == 72053
    pop = load("unhcr_population")
    stock = A.end_year_stock(load("unhcr_population_origin_year"), ["RUS"], 2010, 2025)
    sums = pop[pop.origin_iso3 == "RUS"].groupby("year")[["refugees", "asylum_seekers"]].sum()
    for row in stock.itertuples():
        assert row.refugees == sums.loc[row.year, "refugees"]
        assert row.asylum_seekers == sums.loc[row.year, "asylum_seekers"]


def test_uk_partial_year_and_grant_rate():
    uka = A.uk_yearly_applications(load("uk_applications"), ["RUS"], 2022, 2024).set_index("year")
    assert uka.loc[2024, "months_covered"] == 9 and uka.loc[2023, "months_covered"] == 12
    g = A.uk_grant_rates(load("uk_grant_rates"), ["RUS"], 2023, 2023, 0).iloc[0]
    assert g.grant_rate == pytest.approx(g.grants / (g.grants + g.refusals))


def test_legal_tables_cite_every_row():
    legal = pd.DataFrame(
        {
            "legal_id": ["L1", "L2", "L3"],
            "kind": ["national-practice", "convention", "judgment"],
            "jurisdiction": ["DEU", "INT", "EUU"],
            "title": ["x", "Convention", "Case"],
            "reference": ["r", "Art. 1A(2)", "C-1/99"],
            "date": [None, "1951-07-28", "2015-02-26"],
            "provision": ["p"] * 3,
            "relevance": ["q"] * 3,
            "citation_key": ["a", "b;c", "d"],
        }
    )
    rules = A.legal_rules(legal)
    assert list(rules["Instrument or decision"]) == ["Convention", "Case"]
    assert rules["Source"].iloc[0] == "[@b; @c]"
    assert A.legal_practice(legal)["Jurisdiction"].tolist() == ["Germany"]
    with pytest.raises(LookupError):
        A.legal_row(legal, "L9")


def test_unknown_origin_refused_before_running(tmp_path):
    with pytest.raises(ParamError, match=r"asylum-law\.origins.*'XXX' is not allowed"):
        resolve_params(ROOT / "params.yml", ["asylum-law.origins=[RUS, XXX]"])
    with pytest.raises(ParamError, match="start_year"):
        resolve_params(
            ROOT / "params.yml", ["asylum-law.start_year=2020", "asylum-law.end_year=2010"]
        )


def _markdown(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.slow  # executes the chapter in a kernel
def test_notebook_runs_with_other_years_and_origin(tmp_path):
    params = resolve_params(
        ROOT / "params.yml",
        [
            "asylum-law.start_year=2010",
            "asylum-law.end_year=2021",
            "asylum-law.origins=[BLR]",
            "asylum-law.top_n=5",
            "asylum-law.min_decisions=200",
        ],
    )["asylum-law"]
    nb = Path("chapters/04-asylum-law.ipynb")
    out = tmp_path / "04-asylum-law.ipynb"
    run = ChapterRun(key="asylum-law", notebook=nb, output=out, params=params, fingerprint="test")
    execute.execute_chapters([run], ROOT, force={"asylum-law"}, log=lambda s: None)
    executed = nbformat.read(out, as_version=4)
    text = _markdown(executed)
    paras = [" ".join(p.split()) for p in text.split("\n\n")]
    para = next(p for p in paras if "lodged by citizens of Belarus" in p)
    # the last year of the range is named (as the peak when it is the peak)
    assert "in 2021 it was" in para or "2021, the last year shown" in para, para
    assert "2022" not in para and "2023" not in para  # nothing outside the range
    assert "Belarus: " in text and "Russia: " not in text  # only the chosen origin is compared
    assert "Only Belarus is selected" in text  # the one-origin sentence, chosen by the data
    # the paragraph on the UK speaks of Belarus, and no guard or expression is left behind
    assert any("main applicants from Belarus" in p for p in paras)
    assert "{python}" not in text and "\x00" not in text
    assert not re.search(r"\d %", text), "percentages are written '28.9%' (prose.pct)"


def test_chapter_narrative_is_markdown_and_draws_nothing_itself():
    """The prose is in Markdown cells (values placed by inline expressions), and the figures are
    drawn by exile_report.figures.asylum: no code cell prints prose or calls the axes."""
    nb = nbformat.read(ROOT / "chapters/04-asylum-law.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "print(" not in code and "output: asis" not in code
    assert not re.search(r"\bax\d?\.|\baxes\[|\bfig\.(legend|colorbar)", code)
    assert "LEGAL_PROBLEM" not in code and "format_pct" not in code


def test_origins_are_declared_once():
    from exile_report import schemas
    from exile_report.figures import asylum as draw
    from exile_report.processing import unhcr

    assert A.ORIGINS is schemas.ORIGINS and unhcr.ORIGINS is schemas.ORIGINS
    assert list(draw.ORIGIN_COLOURS) == list(schemas.ORIGINS)


def test_rate_chart_marks_destinations_below_the_minimum_instead_of_plotting_them():
    import matplotlib.pyplot as plt

    from exile_report.figures import asylum as draw

    d = _decisions(
        [
            (2023, "RUS", "DEU", "Germany", "FI", "P", 20, 10, 70, 100, 200),
            (2023, "RUS", "KOR", "Rep. of Korea", "FI", "C", 1, 0, 9, 0, 10),
        ]
    )
    by = A.decisions_by_destination(d, "RUS", 2023, 2023, min_decisions=50)
    fig = draw.rates_by_destination(by, 50)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["South Korea (cases)", "Germany"]  # largest at the top
    notes = [t.get_text() for t in ax.texts]
    # the note on the small destination, then each row's number of substantive decisions
    assert notes == ["fewer than 50 substantive decisions", "10", "100", "substantive\ndecisions"]
    import numpy as np

    dots = np.ma.filled(ax.collections[0].get_offsets().astype(float), np.nan)
    assert dots[1][0] == pytest.approx(0.3) and np.isnan(dots[0][0])  # Korea is not plotted
    plt.close(fig)


def test_applications_chart_draws_only_series_that_exist():
    import matplotlib.pyplot as plt

    from exile_report.figures import asylum as draw

    yearly = pd.DataFrame(
        {
            "year": pd.array([2021, 2022], dtype="Int64"),
            "new_persons": pd.array([5, 9], dtype="Int64"),
            "new_cases": pd.array([pd.NA, pd.NA], dtype="Int64"),
            "unsplit_persons": pd.array([pd.NA, pd.NA], dtype="Int64"),
            "unsplit_cases": pd.array([pd.NA, pd.NA], dtype="Int64"),
        }
    )
    fig = draw.applications(yearly, "Russia", 2021, 2030, 2022)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["New applications, persons"]
    assert ax.get_title(loc="left") == "Russia: new asylum applications abroad, 2021–2022"
    assert any(t.get_text().startswith("2022: invasion") for t in ax.texts)
    plt.close(fig)


@pytest.mark.slow  # executes the chapter in a kernel
def test_notebook_runs_for_years_beyond_the_data(tmp_path):
    """A range the data do not reach yet gives sentences saying so, not a failed build (the
    applications and origins charts used to be drawn from empty tables)."""
    params = resolve_params(
        ROOT / "params.yml", ["asylum-law.start_year=2027", "asylum-law.end_year=2030"]
    )["asylum-law"]
    out = tmp_path / "04-asylum-law.ipynb"
    run = ChapterRun(
        key="asylum-law",
        notebook=Path("chapters/04-asylum-law.ipynb"),
        output=out,
        params=params,
        fingerprint="test",
    )
    execute.execute_chapters([run], ROOT, force={"asylum-law"}, log=lambda s: None)
    paras = [" ".join(p.split()) for p in _markdown(nbformat.read(out, as_version=4)).split("\n\n")]
    assert (
        "UNHCR records no new asylum applications by persons from Russia between 2027 and 2030."
    ) in paras
    assert "The Home Office data hold no applications by nationals of Russia in 2027–2030." in paras
    assert not any("peaked at" in p or "{python}" in p for p in paras)


def test_uk_totals_recompute_the_rate_and_keep_the_selected_order():
    totals = pd.DataFrame(
        {
            "nationality_iso3": ["UKR", "RUS", "XXX", "BLR"],
            "period_start": pd.to_datetime(["2020-01-01"] * 4),
            "period_end": pd.to_datetime(["2025-12-31"] * 4),
            "decisions": [50, 120, 9, 30],
            "grants": [30, 60, 1, 10],
            "refusals": [10, 40, 1, 5],
        }
    )
    t = A.uk_totals(totals, ["RUS", "UKR", "BLR"], min_decisions=20)
    assert list(t["nationality_iso3"]) == ["RUS", "UKR", "BLR"]
    assert t["grant_rate"].iloc[0] == pytest.approx(60 / 100)
    assert t["grant_rate"].iloc[1] == pytest.approx(30 / 40)
    assert pd.isna(t["grant_rate"].iloc[2])  # 15 substantive decisions: below the minimum
    assert A.months_label(9) == "Jan–Sep" and A.months_label(3) == "Jan–Mar"
    assert A.months_label(12) == ""


def test_us_decision_levels_are_named_where_they_appear():
    assert A.level_name("EO").startswith("immigration judges")
    assert A.level_name("IN").startswith("asylum officers")
    assert A.level_name("AR") == "administrative review (AR)"
    assert A.level_name("FI") == "FI"  # a level without a name stays as it is
    nb = nbformat.read(ROOT / "chapters/04-asylum-law.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "A.level_name(r.dec_level)" in text and "level {r.dec_level}" not in text
