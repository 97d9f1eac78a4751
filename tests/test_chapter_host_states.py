"""Chapter 3 (host states): the stance-as-of-a-date rule on hand-made cases, the policy database's
sources and dates, parameter validation, and the notebook run with another date."""

from __future__ import annotations

import pandas as pd
import pytest

from exile_report import paths, prose
from exile_report.analysis import host_states as hs
from exile_report.params import ParamError, resolve_params
from exile_report.schemas import bib_keys, split_keys

ROOT = paths.ROOT


def _policies(rows) -> pd.DataFrame:
    """A small policy table in the contract's shape (only the columns the functions read)."""
    cols = [
        "policy_id",
        "jurisdiction",
        "date_announced",
        "date_in_force",
        "date_ended",
        "measure_type",
        "direction",
        "citation_key",
    ]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("date_announced", "date_in_force", "date_ended"):
        df[c] = pd.to_datetime(df[c])
    return df


# A measure that started and ended; two that overlap; one announced long before it applies.
CASES = _policies(
    [
        ("P001", "AAA", "2022-03-01", "2022-03-10", "2022-06-30", "entry-ban", "restrictive", "k"),
        ("P002", "BBB", "2022-01-01", "2022-02-01", None, "visa-suspension", "restrictive", "k"),
        ("P003", "BBB", "2022-05-01", None, "2022-12-31", "humanitarian-visa", "facilitating", "k"),
        ("P004", "CCC", "2022-04-01", "2023-01-01", None, "residence-rule", "restrictive", "k"),
        ("P005", "DDD", None, None, None, "other", "restrictive", "k"),
    ]
)


def _status(day):
    return dict(zip(CASES["policy_id"], hs.status_as_of(CASES, day), strict=True))


def test_measure_that_started_and_ended():
    assert _status("2022-03-05")["P001"] == "announced"
    assert _status("2022-03-10")["P001"] == "in force"  # first day
    assert _status("2022-06-30")["P001"] == "in force"  # the end date is the last day
    assert _status("2022-07-01")["P001"] == "ended"
    assert _status("2022-02-01")["P001"] == "future"


def test_overlapping_measures_make_a_mixed_stance_then_a_restrictive_one():
    st = hs.stance_as_of(CASES, "2022-06-15", ["BBB"]).set_index("jurisdiction")
    assert st.loc["BBB", "restrictive_in_force"] == 1
    assert st.loc["BBB", "facilitating_in_force"] == 1
    assert st.loc["BBB", "stance"] == "mixed"
    assert st.loc["BBB", "in_force_ids"] == "P002;P003"
    # the facilitating one, without a date in force, applies from its announcement ...
    assert hs.stance_as_of(CASES, "2022-04-30", ["BBB"])["stance"].iloc[0] == "restrictive"
    # ... and after it ended only the restrictive one is left
    after = hs.stance_as_of(CASES, "2023-01-01", ["BBB"]).iloc[0]
    assert after["stance"] == "restrictive" and after["ended"] == 1


def test_announced_but_not_yet_in_force_does_not_count():
    st = hs.stance_as_of(CASES, "2022-08-01", ["CCC"]).iloc[0]
    assert st["stance"] == "none in force"
    assert st["announced_not_in_force"] == 1
    assert hs.stance_as_of(CASES, "2023-01-01", ["CCC"])["stance"].iloc[0] == "restrictive"


def test_undated_measure_is_never_in_force_and_unselected_jurisdiction_is_listed():
    st = hs.stance_as_of(CASES, "2024-01-01", ["DDD", "ZZZ"]).set_index("jurisdiction")
    assert st.loc["DDD", "undated"] == 1 and st.loc["DDD", "stance"] == "none in force"
    assert st.loc["ZZZ", "stance"] == "none in force"


def test_eu_measures_count_for_member_states_only_when_asked():
    df = _policies(
        [
            (
                "P010",
                "EUU",
                "2022-09-09",
                "2022-09-12",
                None,
                "visa-restriction",
                "restrictive",
                "k",
            ),
            (
                "P011",
                "DEU",
                "2022-05-30",
                "2022-05-30",
                None,
                "humanitarian-visa",
                "facilitating",
                "k",
            ),
            ("P012", "GEO", "2022-03-01", None, None, "other", "facilitating", "k"),
        ]
    )
    plain = hs.stance_as_of(df, "2023-01-01", ["DEU", "GEO"]).set_index("jurisdiction")
    assert plain.loc["DEU", "stance"] == "facilitating"
    with_eu = hs.stance_as_of(df, "2023-01-01", ["EUU", "DEU", "GEO"], apply_eu=True).set_index(
        "jurisdiction"
    )
    assert with_eu.loc["DEU", "stance"] == "mixed"
    assert with_eu.loc["GEO", "stance"] == "facilitating"  # not a member
    assert with_eu.loc["EUU", "stance"] == "restrictive"


def test_pack_tracks_puts_overlapping_intervals_on_separate_rows():
    s = pd.to_datetime(["2022-01-01", "2022-02-01", "2022-03-02", "2022-07-01", "2022-07-15"])
    e = pd.to_datetime(["2022-06-01", "2022-03-01", "2022-04-01", "2022-08-01", "2022-09-01"])
    # a row is free again only after its last interval ended (touching intervals do not share)
    assert hs.pack_tracks(s, e) == [0, 1, 1, 0, 1]


def test_date_problems_catch_disorder():
    bad = _policies(
        [
            ("P001", "AAA", "2022-05-01", "2022-03-01", None, "other", "restrictive", "k"),
            ("P002", "AAA", None, "2022-05-01", "2022-04-01", "other", "restrictive", "k"),
        ]
    )
    msgs = hs.date_problems(bad)
    assert len(msgs) == 2 and msgs[0].startswith("P001") and msgs[1].startswith("P002")


def test_counts_and_type_table_agree():
    sel = hs.select(CASES, ["AAA", "BBB", "CCC", "DDD"], hs.MEASURE_TYPES)
    counts = hs.counts_by_period(sel, "2023-06-30")
    types = hs.type_direction_table(sel, "2023-06-30")
    assert counts["measures"].sum() == types["All"].sum() == 4  # the undated one is left out
    assert set(counts["period"]) == {"2022 H1", "2023 H1"}


def test_complete_years_and_host_flows_keep_persons_and_cases_apart():
    assert hs.complete_years_until("2025-06-30") == 2024
    assert hs.complete_years_until("2024-12-31") == 2024
    apps = pd.DataFrame(
        {
            "year": [2022, 2022, 2023],
            "origin_iso3": ["RUS"] * 3,
            "asylum_iso3": ["FIN"] * 3,
            "app_type": ["N", "N", "N"],
            "app_pc": ["P", "C", "P"],
            "applied": [10, 3, 7],
        }
    )
    euro = pd.DataFrame(
        {"dataset": ["migr_resfirst"], "geo_iso3": ["FIN"], "year": [2023], "value": [5]}
    )
    f = hs.host_flows(apps, euro, "FIN", "2024-01-01", first_year=2022).set_index("year")
    assert f.loc[2022, "asylum_new_persons"] == 10 and f.loc[2022, "asylum_new_cases"] == 3
    assert f.loc[2023, "asylum_new_persons"] == 7 and pd.isna(f.loc[2023, "asylum_new_cases"])
    assert f.loc[2023, "first_permits"] == 5 and pd.isna(f.loc[2022, "first_permits"])


# ---------------------------------------------------------------- the real database


@pytest.fixture(scope="module")
def policies():
    from exile_report.data import load

    return load("policies")


def test_database_size(policies):
    assert len(policies) >= 40
    assert policies["jurisdiction"].nunique() >= 15


def test_every_row_has_a_known_source_and_valid_dates(policies):
    keys = bib_keys()
    for r in policies.itertuples():
        cited = split_keys(r.citation_key)
        assert cited, f"{r.policy_id} has no source"
        assert set(cited) <= keys, f"{r.policy_id}: unknown keys {set(cited) - keys}"
        assert r.direction in ("restrictive", "facilitating")
        assert r.measure_type in hs.MEASURE_TYPES
    assert hs.date_problems(policies) == []
    dated = hs.effective_start(policies).notna() | policies["date_ended"].notna()
    assert dated.mean() > 0.9  # nearly every row can be placed in time
    for col in ("date_announced", "date_in_force", "date_ended"):
        s = policies[col].dropna()
        assert ((s >= pd.Timestamp("2000-01-01")) & (s <= pd.Timestamp("2030-12-31"))).all(), col


def test_known_stances_on_the_real_database(policies):
    st = hs.stance_as_of(policies, "2025-06-30").set_index("jurisdiction")
    assert st.loc["FIN", "stance"] == "restrictive"  # entry ban, border closed
    assert st.loc["DEU", "stance"] == "facilitating"  # §22 route, before the July 2025 stop
    after = hs.stance_as_of(policies, "2025-08-01").set_index("jurisdiction")
    assert after.loc["DEU", "stance"] == "mixed"
    before_war = hs.stance_as_of(policies, "2022-02-23", ["CZE", "EST"])
    assert (before_war["stance"] == "none in force").all()


def test_prose_rows_exist(policies):
    # the chapter's prose cites these rows by id; fail here, not in the notebook, if one goes
    for pid in ("P002", "P009", "P016", "P028", "P031", "P042", "P056", "P060", "P075"):
        assert hs.cite_rows(policies, pid).startswith("[@")


# ---------------------------------------------------------------- parameters and the notebook


def test_invalid_as_of_is_refused_before_anything_runs():
    with pytest.raises(ParamError, match=r"host-states\.as_of.*YYYY-MM-DD"):
        resolve_params(ROOT / "params.yml", ["host-states.as_of=last summer"])
    with pytest.raises(ParamError, match=r"host-states\.as_of"):
        resolve_params(ROOT / "params.yml", ["host-states.as_of=2025-02-30"])


def test_invalid_jurisdictions_and_types_are_refused():
    with pytest.raises(ParamError, match="ISO 3166"):
        resolve_params(ROOT / "params.yml", ["host-states.jurisdictions=[EST, finland]"])
    with pytest.raises(ParamError, match="measure_types"):
        resolve_params(ROOT / "params.yml", ["host-states.measure_types=[visa-ban]"])


def test_defaults_match_the_notebook_parameters_cell():
    import nbformat

    values = resolve_params(ROOT / "params.yml")["host-states"]
    nb = nbformat.read(ROOT / "chapters/03-host-states.ipynb", as_version=4)
    ns: dict = {}
    exec(nb.cells[0].source, ns)  # noqa: S102 - our own literal parameters cell
    assert {k: ns[k] for k in values} == values


@pytest.mark.slow  # executes the chapter in a kernel
@pytest.mark.parametrize(
    "overrides",
    [
        ["host-states.as_of=2022-10-15"],
        ["host-states.as_of=2021-06-30", "host-states.jurisdictions=[GEO, ARM]"],
    ],
)
def test_notebook_runs_with_another_date(tmp_path, overrides):
    import nbformat

    from exile_report import execute
    from exile_report.execute import ChapterRun

    params = resolve_params(ROOT / "params.yml", overrides)["host-states"]
    nb = ROOT / "chapters/03-host-states.ipynb"
    out = tmp_path / "03-host-states.ipynb"
    run = ChapterRun(
        key="host-states",
        notebook=nb.relative_to(ROOT),
        output=out,
        params=params,
        fingerprint=execute.chapter_fingerprint(nb, params, "test"),
    )
    execute.execute_chapters([run], ROOT, log=lambda s: None)
    executed = nbformat.read(out, as_version=4)
    md = [" ".join(c.source.split()) for c in executed.cells if c.cell_type == "markdown"]
    text = "\n".join(md)
    day = pd.Timestamp(params["as_of"])
    assert prose.date(day) in text
    assert "{python}" not in text and "\x00" not in text
    # the data decide which paragraphs are said: nothing had taken effect in GEO/ARM by mid-2021
    nothing = "No measure in the selection had taken effect by this date, so there is no sequence"
    assert (nothing in text) == (day < pd.Timestamp("2022-01-01"))
    assert ("Czechia stopped issuing visas" in text) == (day >= pd.Timestamp("2022-01-01"))
    assert not any(p == "" for p in md)  # a paragraph left out leaves no empty cell


def test_chapter_narrative_is_markdown_and_drawing_is_in_the_figures_package():
    import nbformat

    from exile_report.figures import host_states as draw

    nb = nbformat.read(ROOT / "chapters/03-host-states.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "print(" not in code and "output: asis" not in code and "long_date" not in code
    assert not [n for n in dir(hs) if n.startswith(("plot_", "map_figure", "laea"))]
    assert callable(draw.plot_timeline) and callable(draw.plot_stance_map)


def test_cite_rows_adds_sources_cited_beside_the_rows(policies):
    assert hs.cite_rows(policies, "P028", also=["extra_key"]).endswith("; @extra_key]")
    with pytest.raises(KeyError, match="P999"):
        hs.cite_rows(policies, "P999")
