"""Column contracts of every processed and curated table, and their pandera schemas.

One ``Table`` description drives three things, so they cannot drift apart: the dtypes
``data.load`` reads with, the pandera schema it validates with, and the Frictionless fields
of ``data/datapackage.json``. Checks encode what a wrong number would look like: negative
counts, rates outside [0, 1], implausible years, unknown codes, duplicate keys, dates out of
order, citation keys missing from the bibliography.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from exile_report import paths

if TYPE_CHECKING:
    import pandera.pandas as pa


def _pandera():
    """pandera, imported when a schema is first built: notebooks that load hash-verified
    tables never pay for importing it."""
    import pandera.pandas as pa

    return pa


# ---------------------------------------------------------------- column and table contracts

PANDAS_DTYPE = {
    "string": "string",
    "integer": "Int64",
    "number": "float64",
    "date": "datetime64[us]",
    "boolean": "boolean",
}
ISO3 = r"^[A-Z]{3}$"


@dataclass(frozen=True)
class Col:
    """One column: Frictionless type, whether it may be empty, allowed values, bounds."""

    name: str
    type: str = "string"
    required: bool = True
    allowed: tuple | None = None
    pattern: str | None = None
    ge: float | None = None
    le: float | None = None
    max_len: int | None = None
    citation: bool = False  # holds ';'-separated bibliography keys
    description: str = ""

    def checks(self) -> list[pa.Check]:
        pa = _pandera()
        out = []
        if self.allowed is not None:
            out.append(pa.Check.isin(list(self.allowed)))
        if self.pattern:
            out.append(pa.Check.str_matches(self.pattern))
        if self.ge is not None:
            out.append(pa.Check.ge(self.ge))
        if self.le is not None:
            out.append(pa.Check.le(self.le))
        if self.max_len:
            out.append(pa.Check.str_length(max_value=self.max_len))
        if self.citation:
            out.append(
                pa.Check(
                    _keys_known,
                    element_wise=True,
                    name="citation_key_in_bibliography",
                    error="citation key not found in the bibliography",
                )
            )
        return out


@dataclass(frozen=True)
class Table:
    """A table: where it lives, its columns, its primary key and its row-level rules."""

    name: str
    folder: str  # "processed" or "curated"
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    date_order: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs, when both set
    bounds_order: bool = False  # low <= central <= high
    strict: bool = True  # curated tables may carry extra *_precision columns

    @property
    def path(self) -> Path:
        return (
            paths.PROCESSED if self.folder == "processed" else paths.CURATED
        ) / f"{self.name}.csv"

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


def _year(name="year", lo=1945, hi=2035, **kw) -> Col:
    return Col(name, "integer", ge=lo, le=hi, **kw)


def _count(name, required=True, **kw) -> Col:
    return Col(name, "integer", required=required, ge=0, **kw)


def _iso3(name, required=True, **kw) -> Col:
    return Col(name, required=required, pattern=ISO3, **kw)


def _date(name, required=True, **kw) -> Col:
    return Col(name, "date", required=required, **kw)


# Date bounds are checked separately (pandera ge/le on datetimes wants Timestamps).
DATE_BOUNDS = (pd.Timestamp("1500-01-01"), pd.Timestamp("2035-12-31"))

ORIGINS = ("RUS", "UKR", "BLR")
#: Kinds of host-state measure in policies.csv (the host-state chapter's parameter choices too).
MEASURE_TYPES = (
    "visa-suspension",
    "visa-restriction",
    "entry-ban",
    "border-closure",
    "residence-rule",
    "humanitarian-visa",
    "asylum-practice",
    "work-permit",
    "registration-rule",
    "travel-document",
    "other",
)
#: Categories of timeline.csv events (the history chapter's parameter choices too).
CATEGORIES = (
    "law",
    "repression",
    "expulsion",
    "emigration-wave",
    "exile-institution",
    "designation",
    "war",
)
DEC_COUNTS = ("dec_recognized", "dec_other", "dec_rejected", "dec_closed", "dec_total")

PROCESSED_TABLES = [
    Table(
        "unhcr_applications",
        "processed",
        (
            _year(lo=2000),
            Col("origin_iso3", allowed=ORIGINS),
            _iso3("asylum_iso3"),
            Col("asylum_name"),
            Col("procedure_type", allowed=("G", "J", "U")),
            Col("app_type", pattern=r"^[A-Z]{1,2}$"),
            Col("dec_level", pattern=r"^[A-Z]{2}$"),
            Col("app_pc", allowed=("P", "C")),
            _count("applied"),
        ),
        key=(
            "year",
            "origin_iso3",
            "asylum_iso3",
            "procedure_type",
            "app_type",
            "dec_level",
            "app_pc",
        ),
        description="UNHCR asylum applications by origin (RUS, UKR, BLR), country of asylum and year",
    ),
    Table(
        "unhcr_decisions",
        "processed",
        (
            _year(lo=2000),
            Col("origin_iso3", allowed=ORIGINS),
            _iso3("asylum_iso3"),
            Col("asylum_name"),
            Col("procedure_type", allowed=("G", "J", "U")),
            Col("dec_level", pattern=r"^[A-Z]{2}$"),
            Col("dec_pc", allowed=("P", "C")),
            *(_count(c) for c in DEC_COUNTS),
        ),
        key=("year", "origin_iso3", "asylum_iso3", "procedure_type", "dec_level", "dec_pc"),
        description="UNHCR asylum decisions (all levels) by origin, country of asylum and year",
    ),
    Table(
        "unhcr_population",
        "processed",
        (
            _year(),
            Col("origin_iso3", allowed=ORIGINS),
            _iso3("asylum_iso3"),
            Col("asylum_name"),
            _count("refugees", False),
            _count("asylum_seekers", False),
            _count("oip", False),
        ),
        key=("year", "origin_iso3", "asylum_iso3"),
        description="UNHCR end-year stocks of refugees, asylum-seekers and OIP by origin and asylum country",
    ),
    Table(
        "unhcr_applications_origin_year",
        "processed",
        (
            _year(lo=2000),
            Col("origin_iso3", allowed=(*ORIGINS, "WLD")),
            Col("app_type", pattern=r"^[A-Z]{1,2}$"),
            _count("applied"),
        ),
        key=("year", "origin_iso3", "app_type"),
        description="UNHCR asylum applications per year for RUS, UKR, BLR and all origins (WLD); "
        "mixes persons and cases",
    ),
    Table(
        "unhcr_decisions_origin_year",
        "processed",
        (
            _year(lo=2000),
            Col("origin_iso3", allowed=(*ORIGINS, "WLD")),
            Col("dec_level", pattern=r"^[A-Z]{2}$"),
            *(_count(c, False) for c in DEC_COUNTS),
        ),
        key=("year", "origin_iso3", "dec_level"),
        description="UNHCR asylum decisions per year and level for RUS, UKR, BLR and all origins",
    ),
    Table(
        "unhcr_population_origin_year",
        "processed",
        (
            _year(),
            Col("origin_iso3", allowed=(*ORIGINS, "WLD")),
            _count("refugees", False),
            _count("asylum_seekers", False),
            _count("oip", False),
        ),
        key=("year", "origin_iso3"),
        description="UNHCR end-year stocks per year for RUS, UKR, BLR and all origins",
    ),
    Table(
        "foreign_agents_events",
        "processed",
        (
            _date("date"),
            Col("event", allowed=("designation", "removal")),
            Col(
                "agent_type",
                allowed=(
                    "individual",
                    "legal-entity",
                    "other-association",
                    "unregistered-public-association",
                    "foreign-structure",
                    "unknown",
                ),
            ),
            Col("legal_basis", pattern=r"^[0-9]+-(FZ|1)-art[0-9.]+$"),
            _count("count"),
        ),
        key=("date", "event", "agent_type", "legal_basis"),
        description="Designations to and removals from the Russian foreign-agents register per "
        "decision date, type and legal basis (counts only)",
    ),
    Table(
        "foreign_agents_legal_bases",
        "processed",
        (
            Col("legal_basis", pattern=r"^[0-9]+-(FZ|1)-art[0-9.]+$"),
            Col("law"),
            Col("article"),
            _date("law_date"),
            Col("law_title_en"),
            Col("basis_as_published"),
        ),
        key=("legal_basis",),
        description="Legal bases of the foreign-agents register",
    ),
    Table(
        "undesirable_designations",
        "processed",
        (
            _date("date"),
            _iso3("org_country_iso3", required=False),
            _count("count"),
        ),
        key=("date", "org_country_iso3"),
        description="Inclusions in the Russian list of undesirable organisations per date and "
        "country of the organisation (where stated), state of 3 July 2026",
    ),
    Table(
        "undesirable_per_year",
        "processed",
        (
            _year(lo=2015),
            _count("designations"),
            _date("period_end"),
            Col("partial_year", "boolean"),
        ),
        key=("year",),
        description="Inclusions in the Russian list of undesirable organisations per year; "
        "period_end is the last day covered, partial_year marks a year cut by the "
        "snapshot",
    ),
    Table(
        "foreign_agents_per_date",
        "processed",
        (
            _date("date"),
            Col("event", allowed=("designation", "removal")),
            Col("entry_kind", allowed=("individual", "organisation")),
            _count("count"),
        ),
        key=("date", "event", "entry_kind"),
        description="Designations to and removals from the Russian foreign-agents register per "
        "decision date and kind of entry, state of 10 July 2026 (counts only)",
    ),
    Table(
        "foreign_agents_per_year",
        "processed",
        (
            _year(lo=2012),
            _count("designations"),
            _count("designations_individuals"),
            _count("removals"),
            _date("period_end"),
            Col("partial_year", "boolean"),
        ),
        key=("year",),
        description="Designations to and removals from the Russian foreign-agents register per "
        "year; period_end is the last day covered, partial_year marks a year cut "
        "by the snapshot",
    ),
    Table(
        "eurostat_ru_citizens",
        "processed",
        (
            Col(
                "dataset",
                allowed=(
                    "migr_resfirst",
                    "migr_resvalid",
                    "migr_acq",
                    "migr_emi1ctz",
                    "migr_pop1ctz",
                ),
            ),
            _iso3("geo_iso3"),
            Col("geo_name"),
            _year(lo=1990),
            _count("value", False),
        ),
        key=("dataset", "geo_iso3", "year"),
        description="Eurostat: permits, naturalisations, emigration and population of Russian "
        "citizens in nine European countries",
    ),
    Table(
        "uk_applications",
        "processed",
        (
            _year(lo=2000),
            Col("quarter", "integer", ge=1, le=4),
            Col("nationality_iso3", allowed=ORIGINS),
            Col("nationality"),
            Col("applicant_type", allowed=("main-applicant", "dependant")),
            _count("applications"),
        ),
        key=("year", "quarter", "nationality_iso3", "applicant_type"),
        description="UK asylum applications per quarter by nationality and applicant type",
    ),
    Table(
        "uk_initial_decisions",
        "processed",
        (
            _year(lo=2000),
            Col("nationality_iso3", allowed=ORIGINS),
            Col("nationality"),
            Col("applicant_type", allowed=("main-applicant", "dependant")),
            Col(
                "outcome_group",
                allowed=(
                    "grant-of-protection",
                    "grant-of-other-leave",
                    "refused",
                    "withdrawn",
                    "administrative-outcome",
                ),
            ),
            _count("decisions"),
            Col("months_covered", "integer", ge=1, le=12),
        ),
        key=("year", "nationality_iso3", "applicant_type", "outcome_group"),
        description="UK initial asylum decisions per year by nationality and outcome group",
    ),
    Table(
        "uk_grant_rates",
        "processed",
        (
            _year(lo=2000),
            Col("nationality"),
            _iso3("nationality_iso3", required=False),
            _count("grants"),
            _count("refusals"),
            Col("grant_rate", "number", required=False, ge=0, le=1),
            Col("grant_rate_source", "number", required=False, ge=0, le=1),
            Col("months_covered", "integer", ge=1, le=12),
        ),
        key=("year", "nationality"),
        description="UK initial grant rates per year and nationality (all nationalities)",
    ),
    Table(
        "uk_initial_decisions_totals",
        "processed",
        (
            Col("nationality"),
            _iso3("nationality_iso3", required=False),
            Col("region"),
            _date("period_start"),
            _date("period_end"),
            _count("grants"),
            _count("refusals"),
            _count("withdrawn"),
            _count("administrative_outcomes"),
            _count("substantive_decisions"),
            _count("decisions"),
            Col("grant_rate", "number", ge=0, le=1),
            Col("grant_rate_pct_source", "number", ge=0, le=100),
        ),
        key=("nationality",),
        date_order=(("period_start", "period_end"),),
        description="UK initial asylum decisions per nationality, totals over 2020-2025 "
        "(December 2025 release; no yearly split)",
    ),
    Table(
        "countries_110m",
        "processed",
        (
            _iso3("iso3"),
            Col("name"),
            Col("name_long"),
            Col("continent"),
            Col("region_un"),
            Col("subregion"),
            Col("iso3_from", allowed=("ISO_A3", "ADM0_A3")),
        ),
        key=("iso3",),
        description="Natural Earth 1:110m country attributes (ISO3 fixed)",
    ),
    Table(
        "press_figures",
        "processed",
        (
            Col("figure_id", pattern=r"^F\d{2,}$"),
            Col("series"),
            Col("producer", allowed=("The Bell", "FSB Border Service")),
            Col("concept", allowed=("stock-abroad", "border-crossings")),
            _date("period_start"),
            _date("period_end"),
            Col("destination"),
            _iso3("destination_iso3", required=False),
            _count("value"),
            Col("unit", allowed=("persons", "trips")),
            Col("precision"),
            Col("value_as_stated"),
            Col("reporting_page_url", pattern=r"^https?://"),
            _date("reporting_page_date", False),
            Col("citation_key", citation=True),
            Col("reported_by"),
            Col("grade", allowed=("A", "B", "C")),
            Col("note", required=False),
        ),
        key=("figure_id",),
        date_order=(("period_start", "period_end"),),
        description="Press-reported emigration figures (The Bell; FSB border departures)",
    ),
]

WAVES = (
    "tsarist",
    "revolution-white",
    "soviet-deportations-dissidents",
    "late-soviet-1990s",
    "putin-2011-2021",
    "invasion-2022",
    "mobilisation-2022",
    "wartime-2023-2025",
)
GRADE = Col("grade", allowed=("A", "B", "C"))
CITE = Col("citation_key", citation=True)
CURATED_TABLES = [
    Table(
        "timeline",
        "curated",
        (
            Col("event_id", pattern=r"^T\d{3,}$"),
            _date("date"),
            Col("date_precision", allowed=("day", "month", "year")),
            _date("end_date", False),
            Col("wave", allowed=WAVES),
            Col(
                "category",
                allowed=CATEGORIES,
            ),
            Col("title", max_len=60),
            Col("description"),
            Col("as_published", required=False),
            CITE,
            GRADE,
        ),
        key=("event_id",),
        date_order=(("date", "end_date"),),
        strict=False,
        description="Timeline of political exile from Russia",
    ),
    Table(
        "wave_estimates",
        "curated",
        (
            Col("wave", allowed=WAVES),
            Col("estimator"),
            _date("period_start", False),
            _date("period_end", False),
            Col("concept"),
            Col("low", "number", False, ge=0),
            Col("central", "number", False, ge=0),
            Col("high", "number", False, ge=0),
            Col("unit"),
            Col("figure_as_published"),
            CITE,
            GRADE,
            Col("note", required=False),
            Col("compare_group", required=False, pattern=r"^W\d$"),
        ),
        date_order=(("period_start", "period_end"),),
        bounds_order=True,
        strict=False,
        description="Size estimates of each wave of emigration",
    ),
    Table(
        "estimates",
        "curated",
        (
            Col("estimate_id", pattern=r"^E\d{3,}$"),
            Col("estimator"),
            Col(
                "estimator_type",
                allowed=(
                    "research",
                    "media",
                    "host-state",
                    "border-service",
                    "russian-official",
                    "ngo",
                    "encyclopedia",
                ),
            ),
            _date("date_published", False),
            _date("period_start", False),
            _date("period_end", False),
            Col("geography", pattern=ISO3),
            Col(
                "concept",
                allowed=(
                    "departures",
                    "stock-abroad",
                    "border-crossings",
                    "residence-permits",
                    "asylum-claims",
                    "returns-share",
                    "other",
                ),
            ),
            Col("low", "number", False, ge=0),
            Col("central", "number", False, ge=0),
            Col("high", "number", False, ge=0),
            Col("unit", allowed=("persons", "trips", "permits", "claims", "share")),
            Col("method", required=False),
            Col("figure_as_published"),
            CITE,
            GRADE,
            Col("note", required=False),
        ),
        key=("estimate_id",),
        date_order=(("period_start", "period_end"),),
        bounds_order=True,
        strict=False,
        description="Estimates of the post-2022 exodus",
    ),
    Table(
        "policies",
        "curated",
        (
            Col("policy_id", pattern=r"^P\d{3,}$"),
            Col("jurisdiction", pattern=ISO3),
            Col("jurisdiction_name"),
            _date("date_announced", False),
            _date("date_in_force", False),
            _date("date_ended", False),
            Col(
                "measure_type",
                allowed=MEASURE_TYPES,
            ),
            # mixed: one measure that eases the way for some Russians and bars it for others
            Col("direction", allowed=("restrictive", "facilitating", "mixed")),
            Col("instrument", required=False),
            Col("affected", required=False),
            Col("summary"),
            Col("as_published", required=False),
            CITE,
            GRADE,
            # how exact each date is (a month-only date is written as its first day)
            Col("date_announced_precision", required=False, allowed=("day", "month", "year")),
            Col("date_in_force_precision", required=False, allowed=("day", "month", "year")),
            Col("date_ended_precision", required=False, allowed=("day", "month", "year")),
            # measure: applies over a period (in force until it ends); event: a one-off act at a
            # point in time (a deportation, a refusal at a border, a court case), never in force
            Col("kind", allowed=("measure", "event")),
            Col("short_name", max_len=44),
            # why a row is left out of the stance analysis (empty: it counts)
            Col("stance_exclusion", required=False),
        ),
        key=("policy_id",),
        date_order=(("date_in_force", "date_ended"), ("date_announced", "date_ended")),
        strict=False,
        description="Host-state policies towards Russian citizens",
    ),
    Table(
        "legal",
        "curated",
        (
            Col("legal_id", pattern=r"^L\d{3,}$"),
            Col(
                "kind",
                allowed=(
                    "convention",
                    "eu-directive",
                    "eu-regulation",
                    "judgment",
                    "national-law",
                    "national-practice",
                    "guidance",
                ),
            ),
            Col("jurisdiction", pattern=ISO3),
            Col("court_or_body", required=False),
            Col("title"),
            Col("reference", required=False),
            _date("date", False),
            Col("provision"),
            Col("relevance"),
            Col("as_published", required=False),
            CITE,
            GRADE,
        ),
        key=("legal_id",),
        strict=False,
        description="Asylum law relevant to Russian exiles, deserters and draft evaders",
    ),
    Table(
        "conflicts",
        "curated",
        (
            Col("conflict_id", pattern=r"^K\d{2,}$"),
            Col("topic"),
            # one curated table, or several separated by ';' when a conflict spans tables
            Col(
                "table",
                pattern=r"^(timeline|wave_estimates|estimates|policies|legal)"
                r"(;(timeline|wave_estimates|estimates|policies|legal))*$",
            ),
            Col("row_ids", required=False),
            Col("claim_a"),
            Col("source_a", required=False, citation=True),  # empty: the claim has no stored source
            Col("claim_b"),
            Col("source_b", required=False, citation=True),
            Col("likely_reason"),
            Col("treatment"),
        ),
        key=("conflict_id",),
        strict=False,
        description="Sources that disagree, and what the report does about it",
    ),
    Table(
        "surveys",
        "curated",
        (
            Col("figure_id", pattern=r"^S\d{3,}$", description="Row id"),
            Col(
                "topic",
                allowed=(
                    "sample",
                    "fear",
                    "repression",
                    "motive",
                    "return",
                    "occupation",
                    "monitoring",
                    "political-emigres",
                    "asylum-groups",
                ),
                description="What the figure is about",
            ),
            Col(
                "measure",
                pattern=r"^[a-z0-9-]+$",
                description="What exactly is measured: rows with the same producer and measure "
                "should agree",
            ),
            Col("producer", description="Who produced the figure (survey team, NGO, agency)"),
            Col("survey", description="The survey, monitoring or statistic it comes from"),
            Col("wave", required=False, description="Panel wave(s), e.g. '4' or '1-3'"),
            _date("period_start", description="First day of the period the figure refers to"),
            _date("period_end", description="Last day of that period"),
            Col("period_label", description="The period as the source gives it (what is known)"),
            Col(
                "method",
                allowed=(
                    "online-panel",
                    "face-to-face",
                    "monitoring",
                    "ngo-count",
                    "official-statistics",
                ),
                description="How the figure was obtained; online panels are convenience samples",
            ),
            Col("question", description="What the figure measures, in plain words"),
            Col("value", "number", ge=0, description="The figure, in its unit"),
            Col(
                "unit",
                allowed=(
                    "percent",
                    "percent-rise",
                    "share",
                    "respondents",
                    "persons",
                    "detentions",
                    "defendants",
                    "cases-per-month",
                    "applications",
                ),
                description="Unit of value; 'share' is a fraction of 1",
            ),
            Col(
                "bound",
                allowed=("exact", "about", "at-least", "more-than", "up-to"),
                description="How the source qualifies the figure",
            ),
            Col("figure_as_published", description="The sentence that holds the figure"),
            CITE,
            GRADE,
            Col("note", required=False),
        ),
        key=("figure_id",),
        date_order=(("period_start", "period_end"),),
        description="Who left and why: survey and monitoring figures (OutRush, ZOiS, OVD-Info) "
        "and the groups behind earlier asylum claims",
    ),
    Table(
        "population",
        "curated",
        (
            _iso3("geography", description="Country (ISO 3166-1 alpha-3)"),
            _date("date", description="Date the population figure refers to"),
            Col("value", "number", ge=0, description="Resident population, persons"),
            Col("bound", allowed=("exact", "about"), description="How the source qualifies it"),
            Col("figure_as_published", description="The figure as the source prints it"),
            CITE,
            GRADE,
            Col("note", required=False),
        ),
        key=("geography", "date"),
        description="Population figures used as denominators of per-capita comparisons",
    ),
]

TABLES: dict[str, Table] = {t.name: t for t in PROCESSED_TABLES + CURATED_TABLES}


# ---------------------------------------------------------------- bibliography

_BIB_KEY = re.compile(r"@\w+\s*\{\s*([^,\s]+)\s*,")


def bib_files() -> list[Path]:
    """The bibliography every citation key must resolve in."""
    return [paths.REFERENCES_BIB] if paths.REFERENCES_BIB.is_file() else []


@lru_cache(maxsize=8)
def _keys_of(files_and_mtimes: tuple) -> frozenset:
    keys = set()
    for name, _mtime in files_and_mtimes:
        keys.update(_BIB_KEY.findall(Path(name).read_text(encoding="utf-8")))
    return frozenset(keys)


def bib_keys() -> frozenset:
    """All citation keys of the bibliography (re-read when a .bib file changes)."""
    return _keys_of(tuple((str(p), p.stat().st_mtime_ns) for p in bib_files()))


def split_keys(value) -> list[str]:
    """'a; b' -> ['a', 'b']."""
    return [k.strip() for k in str(value).split(";") if k.strip()]


def _keys_known(value) -> bool:
    if value is None or value is pd.NA:
        return True  # emptiness is the `required` check's business
    known = bib_keys()
    keys = split_keys(value)
    return bool(keys) and all(k in known for k in keys)


# ---------------------------------------------------------------- pandera


def _row_checks(table: Table) -> list[pa.Check]:
    pa = _pandera()
    checks = []
    for early, late in table.date_order:

        def ordered(df, early=early, late=late):
            return df[early].isna() | df[late].isna() | (df[early] <= df[late])

        checks.append(pa.Check(ordered, name=f"{early}<={late}", error=f"{early} is after {late}"))
    if table.bounds_order:

        def bounds(df):
            lo, mid, hi = df["low"], df["central"], df["high"]
            ok = (lo.isna() | mid.isna() | (lo <= mid)) & (mid.isna() | hi.isna() | (mid <= hi))
            return ok & (lo.isna() | hi.isna() | (lo <= hi))

        def one_set(df):
            return df[["low", "central", "high"]].notna().any(axis=1)

        checks.append(
            pa.Check(bounds, name="low<=central<=high", error="low, central, high out of order")
        )
        checks.append(
            pa.Check(
                one_set, name="one_of_low_central_high", error="none of low, central, high is set"
            )
        )
    if "unit" in {c.name for c in table.columns} and table.bounds_order:

        def share(df):
            is_share = df["unit"] == "share"
            return ~is_share | df[["low", "central", "high"]].le(1).where(
                df[["low", "central", "high"]].notna(), True
            ).all(axis=1)

        checks.append(pa.Check(share, name="share<=1", error="a share above 1"))
    return checks


def _date_bounds(series: pd.Series) -> pd.Series:
    lo, hi = DATE_BOUNDS
    return series.isna() | ((series >= lo) & (series <= hi))


@cache
def schema(name: str) -> pa.DataFrameSchema:
    """The pandera schema of a table."""
    pa = _pandera()
    table = TABLES[name]
    columns = {}
    for c in table.columns:
        checks = c.checks()
        if c.type == "date":
            checks.append(
                pa.Check(_date_bounds, name="date_in_1500_2035", error="date outside 1500-2035")
            )
        columns[c.name] = pa.Column(
            PANDAS_DTYPE[c.type], checks=checks, nullable=not c.required, required=True
        )
    return pa.DataFrameSchema(
        columns,
        checks=_row_checks(table),
        unique=list(table.key) if table.key else None,
        strict=table.strict,
        name=name,
    )
