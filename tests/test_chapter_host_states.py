"""Chapter 3 (host states): the stance-as-of-a-date rule on hand-made cases, the policy database's
sources and dates, parameter validation, and the notebook run with another date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from exile_report import paths, prose
from exile_report.analysis import host_states as hs
from exile_report.params import ParamError, resolve_params
from exile_report.schemas import bib_keys, split_keys

ROOT = paths.ROOT


def _frame(rows, cols) -> pd.DataFrame:
    """Hand-made rows with their dates parsed."""
    df = pd.DataFrame(rows, columns=cols)
    for c in ("date_announced", "date_in_force", "date_ended"):
        df[c] = pd.to_datetime(df[c])
    return df


#: The contract's columns the rule reads (dates, type, direction, source).
BASE = [
    "policy_id",
    "jurisdiction",
    "date_announced",
    "date_in_force",
    "date_ended",
    "measure_type",
    "direction",
]


def _policies(rows) -> pd.DataFrame:
    """A small policy table in the contract's shape (only the columns the functions read)."""
    return _frame(rows, [*BASE, "citation_key"])


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
        assert r.direction in hs.DIRECTIONS
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
        ["host-states.as_of=2021-06-30", "host-states.jurisdictions=[ARM, SRB]"],
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
    # the data decide which paragraphs are said: nothing had taken effect in ARM/SRB by mid-2021
    # (Georgia's visa-free stay, in force since 2012, would count)
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


# ---------------------------------------------------------------- issue 16: events, mixed, precision


def _rows(rows) -> pd.DataFrame:
    """Hand-made rows with the coding columns: kind, short name, exclusion and precisions."""
    cols = [*BASE, "kind", "short_name", "stance_exclusion", "date_in_force_precision"]
    df = _frame(rows, cols)
    df["date_announced_precision"] = df["date_announced"].map(lambda d: "" if pd.isna(d) else "day")
    df["date_ended_precision"] = df["date_ended"].map(lambda d: "" if pd.isna(d) else "day")
    df["citation_key"] = "k"
    return df


CODING = _rows(
    [
        # a year-long visa-free stay since 2012, and one refusal at the border in 2022
        (
            "P101",
            "GGG",
            None,
            "2012-02-29",
            None,
            "other",
            "facilitating",
            "measure",
            "Visa-free stay",
            "",
            "day",
        ),
        (
            "P102",
            "GGG",
            None,
            "2022-11-01",
            None,
            "entry-ban",
            "restrictive",
            "event",
            "Journalists turned back",
            "",
            "month",
        ),
        # an airport case only
        (
            "P103",
            "SSS",
            None,
            "2023-07-13",
            None,
            "entry-ban",
            "restrictive",
            "event",
            "Activist held at airport",
            "",
            "day",
        ),
        # a mixed measure, and a restrictive one that ends
        (
            "P104",
            "KKK",
            None,
            "2022-10-04",
            None,
            "other",
            "mixed",
            "measure",
            "Extradition only if wanted",
            "",
            "day",
        ),
        (
            "P105",
            "KKK",
            None,
            "2022-03-01",
            "2023-06-30",
            "visa-restriction",
            "restrictive",
            "measure",
            "Visa processing cut",
            "",
            "month",
        ),
        # a row that is not a measure towards emigrants
        (
            "P106",
            "UUU",
            None,
            "2022-02-17",
            None,
            "residence-rule",
            "restrictive",
            "measure",
            "Investor visa closed",
            "closed to every nationality",
            "day",
        ),
    ]
)


def test_an_event_is_a_point_in_time_never_in_force():
    status = dict(zip(CODING["policy_id"], hs.status_as_of(CODING, "2024-01-01"), strict=True))
    assert status["P102"] == "event" and status["P103"] == "event"
    assert status["P101"] == "in force"
    before = dict(zip(CODING["policy_id"], hs.status_as_of(CODING, "2022-10-01"), strict=True))
    assert before["P102"] == "future"


def test_single_incidents_do_not_colour_the_stance():
    st = hs.stance_as_of(CODING, "2024-01-01", ["GGG", "SSS"]).set_index("jurisdiction")
    assert st.loc["GGG", "stance"] == "facilitating"  # the refusal does not make it mixed
    assert st.loc["GGG", "events_to_date"] == 1 and st.loc["GGG", "event_ids"] == "P102"
    assert st.loc["SSS", "stance"] == "none in force"  # an airport case is not a policy
    assert hs.map_events(st.reset_index()) == ["GGG", "SSS"]


def test_a_mixed_measure_makes_a_mixed_stance_and_exclusions_do_not_count():
    st = hs.stance_as_of(CODING, "2024-01-01", ["KKK", "UUU"]).set_index("jurisdiction")
    assert st.loc["KKK", "stance"] == "mixed" and st.loc["KKK", "mixed_in_force"] == 1
    assert st.loc["UUU", "stance"] == "none in force"
    sel = hs.select(CODING, ["GGG", "SSS", "KKK", "UUU"], hs.MEASURE_TYPES)
    assert "P106" not in set(sel["policy_id"])


def test_stance_at_a_date_follows_starts_and_ends():
    on = {
        day: hs.stance_as_of(CODING, day, ["KKK"])["stance"].iloc[0]
        for day in ("2022-02-28", "2022-06-01", "2022-12-01", "2023-07-01")
    }
    assert on == {
        "2022-02-28": "none in force",
        "2022-06-01": "restrictive",
        "2022-12-01": "mixed",
        "2023-07-01": "mixed",  # the restrictive one ended; the mixed one is left
    }


def test_events_do_not_count_as_first_restrictive_measures_nor_in_the_counts():
    sel = hs.select(CODING, ["GGG", "SSS", "KKK"], hs.MEASURE_TYPES)
    first = hs.first_restrictive(sel, "2024-01-01")
    assert list(first["policy_id"]) == ["P105"]
    counts = hs.counts_by_period(sel, "2024-01-01")
    assert "P102" not in counts.to_string() and counts["measures"].sum() == 3
    assert list(hs.events_to_date(sel, "2024-01-01")["policy_id"]) == ["P102", "P103"]


def test_month_only_dates_print_as_months_everywhere():
    assert list(hs.start_text(CODING.iloc[[1, 4]])) == ["November 2022", "March 2022"]
    assert hs.date_text(pd.Timestamp("2022-09-01"), "month") == "September 2022"
    sel = hs.select(CODING, ["KKK"], hs.MEASURE_TYPES)
    st = hs.stance_as_of(sel, "2022-06-01", ["KKK"])
    table = hs.stance_table(st, sel, {}, "2022-06-01")
    assert table["Latest measure"].iloc[0] == "Visa processing cut (March 2022)"
    assert "1 March" not in table.to_string()


def _timeline_fig(rows, as_of="2024-01-01"):
    from exile_report.figures import host_states as draw
    from exile_report.plotting import new_figure

    sel = hs.select(rows, sorted(set(rows["jurisdiction"])), hs.MEASURE_TYPES)
    tl = hs.timeline_data(sel, as_of, days_per_char=draw.timeline_days_per_char(as_of))
    fig, ax = new_figure(height=3.0)
    draw.plot_timeline(fig, ax, tl, {}, as_of)
    return fig, ax, tl


def test_timeline_draws_events_as_points_and_labels_every_bar():
    import matplotlib.pyplot as plt

    fig, ax, tl = _timeline_fig(CODING)
    ev = tl.set_index("policy_id").loc["P102"]
    assert ev["status"] == "event" and ev["draw_start"] == ev["draw_end"]
    texts = {t.get_text() for t in ax.texts}
    assert {"Visa-free stay (from 2012)", "Journalists turned back", "Visa processing cut"} <= texts
    plt.close(fig)


def test_timeline_legend_lists_only_what_is_drawn_and_ended_swatch_matches_the_bars():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    from exile_report.figures import host_states as draw

    rows = CODING[CODING["policy_id"].isin(["P101", "P105"])]  # in force + ended, no events
    fig, ax, _tl = _timeline_fig(rows)
    legend = fig.legends[0]
    texts = [t.get_text() for t in legend.get_texts()]
    assert not any("announced" in t for t in texts)
    assert not any("event" in t for t in texts)
    ended = legend.legend_handles[texts.index("ended (lighter)")]
    bar = next(p for p in ax.patches if p.get_alpha() == draw.ENDED_ALPHA)
    assert to_rgba(ended.get_facecolor()) == to_rgba(bar.get_facecolor())
    assert to_rgba(bar.get_facecolor())[:3] == to_rgba(draw.DIRECTION_COLOURS["restrictive"])[:3]
    plt.close(fig)
    # with an announced measure and an event the legend grows accordingly
    more = pd.concat(
        [
            CODING,
            _rows(
                [
                    (
                        "P107",
                        "GGG",
                        "2023-06-01",
                        "2024-06-01",
                        None,
                        "other",
                        "restrictive",
                        "measure",
                        "Law to come",
                        "",
                        "day",
                    ),
                ]
            ),
        ],
        ignore_index=True,
    )
    fig, _ax, _tl = _timeline_fig(more)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "announced, not yet in force" in texts and "one-off event" in texts
    plt.close(fig)


def test_unit_switch_from_cases_to_persons_is_found():
    def apps(level_units):
        return pd.DataFrame(
            [
                {
                    "year": y,
                    "origin_iso3": "RUS",
                    "asylum_iso3": "USA",
                    "app_type": "N",
                    "dec_level": lvl,
                    "app_pc": u,
                    "applied": 10,
                }
                for lvl, units in level_units.items()
                for y, u in units.items()
            ]
        )

    sw = hs.unit_switches(
        apps(
            {
                "IN": {2018: "C", 2019: "C", 2020: "C", 2021: "P", 2022: "P"},
                "EO": {2018: "P", 2021: "P"},
            }
        ),
        "USA",
    )
    assert sw[["level", "last_cases_year", "first_persons_year"]].values.tolist() == [
        ["IN", 2020, 2021]
    ]
    alternating = apps({"XX": {2016: "P", 2017: "C", 2018: "P", 2019: "C", 2020: "P"}})
    assert hs.unit_switches(alternating, "USA").empty


def test_host_state_codings_on_the_real_database(policies):
    by = policies.set_index("policy_id")
    assert by.loc["P065", "direction"] != "facilitating"  # legal limbo
    assert by.loc["P045", "direction"] == "mixed"
    assert hs.excluded(policies.set_index("policy_id").loc[["P052", "P053"]].reset_index()).all()
    events = policies[hs.is_event(policies)]
    assert {"P067", "P073", "P087"} <= set(events["policy_id"])
    abductions = policies[policies["short_name"].str.contains("abduct", case=False)]
    assert len(abductions) and (abductions["direction"] == "restrictive").all()
    assert pd.notna(hs.effective_start(by.loc[["P060"]]).iloc[0])  # Georgia's stay is dated
    # Georgia stayed open after the mobilisation; Serbia's only rows are single incidents
    early = hs.stance_as_of(policies, "2022-10-15", ["GEO"]).iloc[0]
    assert early["stance"] == "facilitating"
    from exile_report.coverage import edition_cutoff

    cut = hs.stance_as_of(policies, edition_cutoff(), ["GEO", "SRB", "DEU"]).set_index(
        "jurisdiction"
    )
    assert cut.loc["SRB", "stance"] == "none in force" and cut.loc["SRB", "events_to_date"] >= 1
    assert cut.loc["GEO", "stance"] == "mixed"
    assert cut.loc["DEU", "stance"] != "facilitating"
    for r in policies.itertuples():  # every month-only date says so in its precision column
        for col in ("date_announced", "date_in_force", "date_ended"):
            if pd.notna(getattr(r, col)):
                assert getattr(r, f"{col}_precision") in ("day", "month", "year"), (
                    r.policy_id,
                    col,
                )


# ---------------------------------------------------------------- computed alt texts, both engines


def test_a_computed_alt_text_replaces_the_cell_option_in_both_engines(tmp_path):
    import json
    import subprocess
    import sys

    from exile_report.render.frontend import NotebookReader

    options = {"label": "fig-x", "fig-cap": "X", "fig-alt": "typed, with no numbers"}
    data = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    reader = NotebookReader(
        tmp_path / "a.ipynb", Path("a.ipynb"), "a", tmp_path / "media", False, {}, {}, tmp_path
    )
    md = reader.figure(data, {"label": "fig-x", "alt": "Georgia is mixed"}, options, "a")
    assert 'fig-alt="Georgia is mixed"' in md and "typed" not in md
    assert 'fig-alt="typed, with no numbers"' in reader.figure(data, {}, options, "a")
    # Quarto reads the cell option: the notebook filter rewrites it from the output's metadata
    (tmp_path / "_quarto.yml").write_text("project: {type: book}\n")
    chapters, executed = tmp_path / "chapters", tmp_path / "_build" / "executed"
    chapters.mkdir()
    executed.mkdir(parents=True)
    src = '#| label: fig-x\n#| fig-cap: X\n#| fig-alt: "typed"\nsave_figure(...)'

    def nb(outputs):
        cell = {"cell_type": "code", "metadata": {}, "source": src, "outputs": outputs}
        return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}

    (chapters / "01-a.ipynb").write_text(json.dumps(nb([])))
    image = {
        "output_type": "display_data",
        "data": data,
        "metadata": {"exile_report": {"label": "fig-x", "alt": 'Serbia: "none" in force'}},
    }
    (executed / "01-a.ipynb").write_text(json.dumps(nb([image])))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools/quarto/executed-notebook.py")],
        input=json.dumps(nb([])),
        cwd=chapters,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    source = "".join(json.loads(proc.stdout)["cells"][0]["source"])
    assert '#| fig-alt: "Serbia: \\"none\\" in force"\n' in source and "typed" not in source
    import yaml

    line = next(x for x in source.splitlines() if x.startswith("#| fig-alt:"))
    assert yaml.safe_load(line[3:])["fig-alt"] == 'Serbia: "none" in force'
