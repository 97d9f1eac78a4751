"""The source policy (research/source-policy.md) on the whole bibliography and data, and the
policy code on small hand-made cases, so each rule is shown to fail when it is broken."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from exile_report import paths
from exile_report.source_policy import (
    bibliography_problems,
    check,
    load_tiers,
    normalise_address,
    parse_bib,
    row_problems,
    tier_of,
)

TIERS = {
    "example.org": ("A", "producer"),
    "news.example": ("B", "news"),
    "tass.example": ("C", "state media"),
    "mirror.example": ("X", "mirror"),
    "publication:Press": ("A", "publisher"),
}


def _csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def entry(key, url="https://news.example/a", date="2024-01-02", note="", kind="online", extra=""):
    fields = [
        f"url = {{{url}}}" if url else "",
        f"date = {{{date}}}" if date else "",
        f"note = {{{note}}}" if note else "",
        extra,
    ]
    body = ",\n  ".join(f for f in fields if f)
    return f"@{kind}{{{key},\n  title = {{T}},\n  {body}\n}}\n"


def bib_problems(text):
    return bibliography_problems(parse_bib(text), TIERS)


# ---------------------------------------------------------------- the whole book


@pytest.fixture(scope="module")
def report():
    return check()


def test_the_bibliography_and_data_pass_the_policy(report):
    assert report.problems == [], "\n".join(map(str, report.problems))


def test_no_tier_x_and_every_domain_has_a_tier(report):
    assert report.tiers.get("X", 0) == 0
    assert report.tiers.get(None, 0) == 0
    assert report.entries == sum(report.tiers.values())


def test_every_figure_on_tier_c_alone_is_shown_as_unverified(report):
    assert report.rows_on_c == report.rows_on_c_marked


def test_every_address_has_one_key(report):
    assert report.duplicate_addresses == 0


def test_source_tiers_file_is_well_formed():
    rows = _csv(paths.DATA / "source_tiers.csv")
    assert rows and set(rows[0]) == {"domain", "tier", "kind", "reason", "basis"}
    domains = [r["domain"] for r in rows]
    assert len(domains) == len(set(domains)), "a domain is listed twice"
    assert domains == sorted(domains)
    for r in rows:
        assert r["tier"] in ("A", "B", "C", "X"), r
        assert r["reason"].strip() and r["basis"].strip(), r


def test_known_bad_domains_are_tier_x():
    tiers = load_tiers()
    for host in (
        "en.metapedia.org",
        "4rchive.org",
        "vdoc.pub",
        "docslib.org",
        "urdupoint.com",
        "sawadee.wiki",
        "afripics.com",
        "stage.rima.media",
    ):
        assert tier_of(f"https://{host}/x", tiers) == "X", host


def test_press_figures_are_each_cited_to_their_own_page():
    rows = _csv(paths.PROCESSED / "press_figures.csv")
    bib = {e.key: e for e in parse_bib(paths.REFERENCES_BIB.read_text(encoding="utf-8"))}
    for r in rows:
        assert r["citation_key"] in bib, r["figure_id"]
        assert bib[r["citation_key"]].fields["url"] == r["reporting_page_url"], r["figure_id"]
        assert r["reported_by"], r["figure_id"]
    by_id = {r["figure_id"]: r for r in rows}
    # The Bell's Israel/Germany/Serbia figures are not on the Moscow Times page (total + 4 countries)
    for fid in ("F08", "F10", "F11"):
        assert "novayagazeta.eu" in by_id[fid]["reporting_page_url"]
    # FSB Q1 2022 rows are not on the Vedomosti page (which covers Q3 2022)
    assert all(
        "vedomosti" not in r["reporting_page_url"]
        for r in rows
        if r["series"] == "fsb_q1_2022_departures"
    )


def test_errata_are_applied_to_the_press_figures():
    rows = {r["figure_id"]: r for r in _csv(paths.PROCESSED / "press_figures.csv")}
    assert rows["F30"]["destination"] == "Armenia" and rows["F30"]["value"] == "134129"
    assert rows["F31"]["value"] == "125426" and rows["F32"]["value"] == "25568"
    assert rows["F33"]["value"] == "48197"
    assert "F12" not in rows and "F20" not in rows and "F21" not in rows  # only copies held them


# ---------------------------------------------------------------- each rule on its own


def test_tier_x_entry_fails():
    problems = bib_problems(entry("bad_2024_copy", url="https://mirror.example/p"))
    assert any("tier X" in p.message for p in problems)


def test_unknown_domain_fails():
    problems = bib_problems(entry("odd_2024_page", url="https://nowhere.example/p"))
    assert any("has no tier" in p.message for p in problems)


def test_subdomain_takes_the_tier_of_its_parent():
    assert tier_of("https://www.sub.news.example/x", TIERS) == "B"


def test_one_address_under_two_keys_fails_even_when_spelled_differently():
    text = entry("a_2024_one", url="https://www.news.example/a/") + entry(
        "b_2024_two", url="http://news.example/amp/a"
    )
    problems = bib_problems(text)
    assert any("one address under 2 keys" in p.message for p in problems)
    assert normalise_address("https://www.news.example/amp/a/") == "news.example/a"


def test_undated_entry_must_say_why():
    assert any("no date" in p.message for p in bib_problems(entry("x_nd_a", date="")))
    ok = entry("x_nd_a", date="", note="No publication date shown on the page.")
    assert not any("no date" in p.message for p in bib_problems(ok))


def test_printed_work_takes_the_tier_of_its_venue():
    text = entry("b_2001_book", url="", date="2001", kind="book", extra="publisher = {Press}")
    assert bib_problems(text) == []


def test_entry_without_any_identifier_fails():
    problems = bib_problems(entry("x_2020_none", url=""))
    assert any("no address or identifier" in p.message for p in problems)


def test_figure_on_tier_c_alone_fails_unless_shown_as_unverified():
    tiers = {"c_key": "C", "b_key": "B", "x_key": "X"}
    cited = (("citation_key", "note"),)
    rows = [
        {"citation_key": "c_key", "note": "A figure."},
        {"citation_key": "c_key;b_key", "note": "A figure."},
        {"citation_key": "c_key", "note": "Unverified: only a blog gives it."},
        {"citation_key": "c_key", "note": "What the Russian state says (TASS)."},
        {"citation_key": "x_key;b_key", "note": ""},
    ]
    problems, on_c, marked = row_problems(rows, cited, tiers, "t.csv")
    assert [p.row for p in problems] == [2, 6]
    assert (on_c, marked) == (3, 2)
    assert "tier C alone" in problems[0].message and "tier X" in problems[1].message


def test_conflict_claims_are_checked_against_their_own_text():
    tiers = {"c_key": "C", "b_key": "B"}
    cited = (("source_a", "claim_a"), ("source_b", "claim_b"))
    rows = [
        {"source_a": "b_key", "claim_a": "x", "source_b": "c_key", "claim_b": "y (unverified)"},
        {"source_a": "c_key", "claim_a": "x", "source_b": "b_key", "claim_b": "unverified"},
    ]
    problems, _, _ = row_problems(rows, cited, tiers, "k.csv")
    assert [(p.column, p.row) for p in problems] == [("source_a", 3)]


def test_missing_citation_column_is_reported(tmp_path, monkeypatch):
    """A processed table that lost its per-row citations cannot pass."""
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "press_figures.csv").write_text("figure_id,note\nF01,x\n", encoding="utf-8")
    monkeypatch.setattr(paths, "PROCESSED", processed)
    report = check()
    assert any("press_figures" in p.file and "column missing" in p.message for p in report.problems)


def test_check_command_prints_the_tier_counts(capsys, monkeypatch):
    from exile_report import cli

    monkeypatch.setenv("EXILE_RAW_DIR", str(Path("/nonexistent")))
    cli.main(["check"])
    out = capsys.readouterr().out
    assert out.startswith("sources: ") and "tier A " in out and "X 0" in out


def test_press_figures_keep_their_own_citation_and_outlet_in_the_estimates_shape():
    """scale.press_as_estimates takes each figure's key from its row (not one key per producer)
    and keeps the outlet that reported it, so the text can name both."""
    import pandas as pd

    from exile_report.analysis import scale
    from exile_report.data import load

    press = load("press_figures")
    est = scale.press_as_estimates(
        press,
        press.iloc[0:0]
        .rename(columns={})
        .assign(
            estimator=pd.Series(dtype="string"),
            citation_key=pd.Series(dtype="string"),
            geography=pd.Series(dtype="string"),
        ),
    )
    by_id = est.set_index("estimate_id")
    assert by_id.loc["F08", "citation_key"] == "novayagazeta_2024_bell650k"  # Israel
    assert by_id.loc["F04", "citation_key"] == "moscowtimes_2024_bell650k"  # Armenia
    assert by_id.loc["F30", "citation_key"] == "moscowtimes_2022_fsbq1"  # Armenia, Q1 2022
    assert by_id.loc["F30", "central"] == 134129
    assert by_id.loc["F08", "estimator"] == "The Bell"
    assert by_id.loc["F08", "reported_by"] == "Novaya Gazeta Europe"
    assert by_id.loc["F13", "grade"] == "C"


def test_check_all_reports_a_tier_x_entry(tmp_path, monkeypatch):
    """`exile-report check` fails on a tier X source, naming the entry."""
    from exile_report import checks

    bib = tmp_path / "references.bib"
    bib.write_text(
        paths.REFERENCES_BIB.read_text(encoding="utf-8")
        + entry("copy_2024_mirror", url="https://sawadee.wiki/x"),
        encoding="utf-8",
    )
    monkeypatch.setattr(paths, "REFERENCES_BIB", bib)
    problems = checks.source_policy_checks()
    assert [p.message for p in problems] == [
        "copy_2024_mirror: tier X source (sawadee.wiki), never cited (rule 1)"
    ]


def test_dated_states_of_one_register_page_may_share_its_address():
    """Two snapshots of one register (the same address, each the citation of its own raw
    snapshot with its own date) are different documents; any other shared address is not."""
    from exile_report.source_policy import dated_states
    from exile_report.sources import load_register

    snapshot = [k for s in load_register() for k in str(s["citation_key"]).split(";")][:2]
    dates = {snapshot[0]: "2024-09-05", snapshot[1]: "2026-07-03", "other_2024_x": "2024-01-01"}
    assert dated_states(snapshot, dates)
    assert not dated_states(snapshot, {**dates, snapshot[1]: "2024-09-05"})  # same date
    assert not dated_states([snapshot[0], "other_2024_x"], dates)  # not a snapshot's key
