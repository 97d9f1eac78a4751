"""Chapter 2 (scale): the reconciliation on hand-made inputs, refusal to add incomparable figures,
the real processed tables, parameter validation, and the notebook run with non-default parameters."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from exile_report import paths
from exile_report.analysis import scale, scale_figures
from exile_report.maps import equal_earth
from exile_report.params import ParamError, resolve_params

ROOT = paths.ROOT


def _est(rows) -> pd.DataFrame:
    """A small estimates table in the contract's shape (only the columns the functions read)."""
    cols = [
        "estimate_id",
        "estimator",
        "geography",
        "concept",
        "unit",
        "low",
        "central",
        "high",
        "period_end",
        "date_published",
        "grade",
        "citation_key",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["period_end"] = pd.to_datetime(df["period_end"])
    df["date_published"] = pd.to_datetime(df["date_published"])
    for c in ("low", "central", "high"):
        df[c] = df[c].astype("Float64")
    return df


# ---------------------------------------------------------------- reconcile


def test_reconcile_known_answer():
    inputs = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "stock-abroad",
                "persons",
                80_000,
                100_000,
                120_000,
                "2024-01-01",
                None,
                "B",
                "k",
            ),
            (
                "E002",
                "b",
                "GEO",
                "stock-abroad",
                "persons",
                None,
                50_000,
                None,
                "2024-01-01",
                None,
                "B",
                "k",
            ),
            (
                "E003",
                "c",
                "KAZ",
                "stock-abroad",
                "persons",
                40_000,
                None,
                60_000,
                "2024-01-01",
                None,
                "B",
                "k",
            ),
        ]
    )
    out = scale.reconcile(inputs)
    # sums: low 80k+50k+40k = 170k; central 100k+50k+50k = 200k; high 120k+50k+60k = 230k;
    # nothing is taken off for returns (these are counts of people still abroad, rule K02)
    assert (out["exact_low"], out["exact_central"], out["exact_high"]) == (
        170_000,
        200_000,
        230_000,
    )
    assert (out["low"], out["central"], out["high"]) == (170_000, 200_000, 230_000)
    assert out["n"] == 3
    assert out["low"] <= out["central"] <= out["high"]


def test_reconcile_of_single_figures_is_the_plain_sum():
    inputs = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "stock-abroad",
                "persons",
                None,
                1_000,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
            (
                "E002",
                "a",
                "SRB",
                "stock-abroad",
                "persons",
                None,
                2_500,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
        ]
    )
    out = scale.reconcile(inputs)
    assert out["low"] == out["central"] == out["high"] == 3_500


@pytest.mark.parametrize(
    "concept,unit",
    [
        ("border-crossings", "trips"),
        ("residence-permits", "permits"),
        ("asylum-claims", "claims"),
        ("departures", "persons"),
    ],
)
def test_reconcile_refuses_incomparable_concepts(concept, unit):
    inputs = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "stock-abroad",
                "persons",
                None,
                1_000,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
            ("E002", "b", "GEO", concept, unit, None, 2_000, None, "2024-01-01", None, "A", "k"),
        ]
    )
    with pytest.raises(scale.IncomparableError, match="E002"):
        scale.reconcile(inputs)


def test_reconcile_refuses_trips_alone_and_other_units():
    trips = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "border-crossings",
                "trips",
                None,
                10,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            )
        ]
    )
    with pytest.raises(scale.IncomparableError):
        scale.reconcile(trips)
    odd = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "stock-abroad",
                "permits",
                None,
                10,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            )
        ]
    )
    with pytest.raises(scale.IncomparableError, match="units"):
        scale.reconcile(odd)


def test_reconcile_refuses_double_counting():
    two = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "stock-abroad",
                "persons",
                None,
                1,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
            (
                "E002",
                "b",
                "ARM",
                "stock-abroad",
                "persons",
                None,
                2,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
        ]
    )
    with pytest.raises(scale.IncomparableError, match="ARM"):
        scale.reconcile(two)
    world = _est(
        [
            (
                "E001",
                "a",
                "ARM",
                "stock-abroad",
                "persons",
                None,
                1,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
            (
                "E002",
                "b",
                "WLD",
                "stock-abroad",
                "persons",
                None,
                2,
                None,
                "2024-01-01",
                None,
                "A",
                "k",
            ),
        ]
    )
    with pytest.raises(scale.IncomparableError, match="worldwide"):
        scale.reconcile(world)


def test_reconcile_empty_input_is_zero():
    out = scale.reconcile(_est([]))
    assert out["central"] == 0 and out["n"] == 0


# ---------------------------------------------------------------- choosing sources


FIGS = _est(
    [
        (
            "E001",
            "old",
            "ARM",
            "stock-abroad",
            "persons",
            None,
            42_000,
            None,
            "2022-10-31",
            "2022-11-01",
            "C",
            "k",
        ),
        (
            "E002",
            "new",
            "ARM",
            "stock-abroad",
            "persons",
            None,
            110_000,
            None,
            "2024-07-16",
            "2024-07-17",
            "B",
            "k",
        ),
        (
            "E003",
            "tie",
            "ARM",
            "stock-abroad",
            "persons",
            None,
            100_000,
            None,
            "2024-07-16",
            "2024-07-17",
            "A",
            "k",
        ),
        (
            "E004",
            "x",
            "GEO",
            "border-crossings",
            "trips",
            None,
            461_000,
            None,
            "2022-09-30",
            None,
            "B",
            "k",
        ),
        (
            "E005",
            "y",
            "GEO",
            "stock-abroad",
            "persons",
            None,
            74_000,
            None,
            "2024-07-16",
            None,
            "B",
            "k",
        ),
    ]
)


def test_choose_sources_latest_then_best_grade_and_override():
    chosen, missing = scale.choose_sources(FIGS, ["ARM", "GEO", "KAZ"], {})
    assert list(chosen["estimate_id"]) == ["E003", "E005"]  # same date: grade A beats B
    assert missing == ["KAZ"]
    chosen, _ = scale.choose_sources(FIGS, ["ARM", "GEO"], {"ARM": "E001"})
    assert list(chosen["estimate_id"]) == ["E001", "E005"]
    with pytest.raises(ValueError, match="E004"):
        scale.choose_sources(FIGS, ["GEO"], {"GEO": "E004"})  # trips are not a stock


def test_host_figures_respects_as_of_and_hosts():
    empty_press = pd.DataFrame(
        columns=[
            "figure_id",
            "series",
            "producer",
            "concept",
            "period_start",
            "period_end",
            "destination_iso3",
            "value",
            "unit",
            "value_as_stated",
            "reporting_page_date",
            "citation_key",
            "reported_by",
            "grade",
            "note",
        ]
    )
    figs = scale.host_figures(FIGS, empty_press, ["ARM"], "2023-12-31")
    assert list(figs["estimate_id"]) == ["E001"]


def test_sensitivity_swings_contain_the_base():
    sens = scale.sensitivity(FIGS, ["ARM", "GEO"], {})
    assert set(sens["assumption"]) == {"Figure for ARM"}  # GEO has one figure: nothing to vary
    base = sens["base"].iloc[0]
    assert ((sens["low_total"] <= base + 1e-6) & (base <= sens["high_total"] + 1e-6)).all()
    arm = sens.set_index("assumption").loc["Figure for ARM"]
    # ARM from 42,000 to 110,000 (GEO fixed at 74,000); no return rate is taken off
    assert math.isclose(arm["low_total"], 42_000 + 74_000)
    assert math.isclose(arm["high_total"], 110_000 + 74_000)
    assert arm["phrase"] == "which published figure is used for ARM"


def test_format_range():
    assert scale.format_range(820_000, None, 920_000) == "820,000–920,000"
    assert scale.format_range(None, 650_000, None) == "650,000"
    assert scale.format_range(48_000, None, None) == "≥ 48,000"
    assert scale.format_range(None, 0.15, None, "share") == "15%"  # the book's one percent format


# ---------------------------------------------------------------- projection and classes


def test_equal_earth_is_symmetric_and_bounded():
    x, y = equal_earth([0, 180, -180, 0], [0, 0, 0, 90])
    assert x[0] == 0 and y[0] == 0
    assert math.isclose(x[1], -x[2])
    assert 2.6 < x[1] < 2.8 and 1.3 < y[3] < 1.33  # published extent of Equal Earth (unit sphere)


def test_bins():
    assert (
        scale_figures.value_bin(9_999) == 0
        and scale_figures.value_bin(10_000) == 1
        and scale_figures.value_bin(2e6) == 4
    )
    assert (
        scale_figures.bin_labels()[0] == "under 10,000"
        and scale_figures.bin_labels()[-1] == "100,000 or more"
    )


# ---------------------------------------------------------------- real processed data


def test_first_permits_show_the_break_in_germany():
    from exile_report.data import load

    permits = scale.first_permits(load("eurostat_ru_citizens"), "2024-12-31")
    deu = permits[permits["geo_iso3"] == "DEU"].set_index("year")["value"]
    assert deu.index.min() == 2008 and deu.index.max() == 2024
    assert deu[2022] > deu[2021] and deu[2023] > deu[2022]  # 13,354 -> 19,759 -> 23,872
    brk = scale.permit_break(permits)
    assert (brk["ratio"] > 0).all()


def test_asylum_claims_keep_persons_and_cases_apart():
    from exile_report.data import load

    apps = load("unhcr_applications")
    claims = scale.asylum_claims(apps, "2024-12-31")
    assert list(claims.columns) == ["year", "persons", "cases"]
    sel = apps[(apps["origin_iso3"] == "RUS") & (apps["app_type"] == "N") & (apps["year"] == 2023)]
    assert (
        claims.set_index("year").loc[2023, "persons"]
        == sel.loc[sel["app_pc"] == "P", "applied"].sum()
    )
    assert claims["year"].max() == 2024


# ---------------------------------------------------------------- parameters


def test_invalid_scale_parameters_are_refused_before_running():
    with pytest.raises(ParamError, match="'georgia' not among the ISO 3166-1 alpha-3"):
        resolve_params(ROOT / "params.yml", ["scale.hosts=[ARM, georgia]"])
    with pytest.raises(ParamError, match="not in hosts"):
        resolve_params(
            ROOT / "params.yml", ["scale.hosts=[ARM]", "scale.source_choice={GEO: E001}"]
        )


def test_notebook_defaults_equal_params_yml():
    import nbformat

    nb = nbformat.read(ROOT / "chapters" / "02-scale.ipynb", as_version=4)
    ns: dict = {}
    exec(nb.cells[0].source, ns)  # noqa: S102 - our own parameters cell, literals only
    defaults = resolve_params(ROOT / "params.yml")["scale"]
    assert {k: ns[k] for k in defaults} == defaults


def _execute(tmp_path, overrides):
    import nbformat

    from exile_report import execute
    from exile_report.execute import ChapterRun

    params = resolve_params(ROOT / "params.yml", overrides)["scale"]
    nb = Path("chapters/02-scale.ipynb")
    run = ChapterRun(
        key="scale",
        notebook=nb,
        output=tmp_path / "02-scale.ipynb",
        params=params,
        fingerprint=execute.chapter_fingerprint(ROOT / nb, params, "test"),
    )
    execute.execute_chapters([run], ROOT, force={"scale"}, log=lambda s: None)
    out = nbformat.read(run.output, as_version=4)
    markdown = "\n\n".join(c.source for c in out.cells if c.cell_type == "markdown")
    assert "{python}" not in markdown and "<!-- if:" not in markdown
    return " ".join(markdown.split())


@pytest.mark.slow  # executes the chapter in a kernel
def test_notebook_runs_with_non_default_parameters(tmp_path):
    text = _execute(
        tmp_path,
        [
            "scale.as_of=2023-06-30",
            "scale.hosts=[ARM, GEO, KAZ, SRB]",
        ],
    )
    assert "up to 30 June 2023" in text
    assert "nothing is taken off for returns" in text
    assert "of the 4 countries a figure of people still abroad exists up to 30 June 2023" in text


@pytest.mark.slow  # executes the chapter in a kernel
def test_a_date_before_any_figure_reads_correctly(tmp_path):
    """An as_of before every estimate: the chapter says there is nothing to add instead of
    quoting ranges, and does not cite the sensitivity chart's assumptions."""
    text = _execute(tmp_path, ["scale.as_of=2020-01-31"])
    assert "No worldwide estimate of departures since 24 February 2022" in text
    assert "No figure of the register refers to a date up to 31 January 2020." in text
    assert "there is nothing comparable to add" in text
    assert "the one that moves it most" not in text
    assert "The size of the exodus." not in text  # no worldwide count of people abroad yet
