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
    """One column: Frictionless type, whether it may be empty, allowed values, bounds, and what
    it means (``description``, ``unit``): the one source of every column's documentation."""

    name: str
    type: str = "string"
    required: bool = True
    allowed: tuple | None = None
    pattern: str | None = None
    ge: float | None = None
    le: float | None = None
    max_len: int | None = None
    citation: bool = False  # holds ';'-separated bibliography keys
    description: str = ""  # what a value means (the data bundle and data/README.md print it)
    unit: str = ""  # what a number counts, where it counts something

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

# Columns several tables share, declared once with what they mean.
ORIGIN = Col("origin_iso3", allowed=ORIGINS, description="Country of origin (ISO 3166-1 alpha-3)")
ORIGIN_OR_ALL = Col(
    "origin_iso3",
    allowed=(*ORIGINS, "WLD"),
    description="Country of origin (ISO 3166-1 alpha-3); WLD = all origins",
)
UNHCR_ASYLUM = (
    _iso3("asylum_iso3", description="Country of asylum (ISO 3166-1 alpha-3; UNK = unknown)"),
    Col("asylum_name", description="Country of asylum, as UNHCR names it"),
)
PROCEDURE = Col(
    "procedure_type",
    allowed=("G", "J", "U"),
    description="Who decides: G government, J jointly with UNHCR, U UNHCR",
)
APP_TYPE = Col(
    "app_type",
    pattern=r"^[A-Z]{1,2}$",
    description="Kind of application: N new, R repeat, A appeal (and UNHCR's rarer codes)",
)
DEC_LEVEL = Col(
    "dec_level",
    pattern=r"^[A-Z]{2}$",
    description="Stage of the procedure: FI first instance, AR administrative review, ...",
)
DEC_COUNT_DOCS = {
    "dec_recognized": "Decisions granting refugee status",
    "dec_other": "Decisions granting complementary (subsidiary or humanitarian) protection",
    "dec_rejected": "Decisions rejecting the claim",
    "dec_closed": "Cases closed otherwise (withdrawn, abandoned, ...)",
    "dec_total": "All decisions (recognised + other + rejected + closed)",
}
STOCKS = (
    _count("refugees", False, unit="persons", description="Refugees at the end of the year"),
    _count(
        "asylum_seekers",
        False,
        unit="persons",
        description="Asylum-seekers whose claims were pending at the end of the year",
    ),
    _count(
        "oip",
        False,
        unit="persons",
        description="Other people in need of international protection (empty where none reported)",
    ),
)
EVENT = Col(
    "event",
    allowed=("designation", "removal"),
    description="designation (entry into the register) or removal (exclusion from it)",
)
LEGAL_BASIS = Col(
    "legal_basis",
    pattern=r"^[0-9]+-(FZ|1)-art[0-9.]+$",
    description="Short code of the legal provision of inclusion (law and article)",
)
PERIOD_END_CUT = _date(
    "period_end",
    description="Last day the year's figures cover (the snapshot day in its last year)",
)
PARTIAL_YEAR = Col(
    "partial_year",
    "boolean",
    description="True for a year the snapshot cuts short: never compare it with full years",
)
NATIONALITY = (
    Col("nationality_iso3", allowed=ORIGINS, description="Nationality (ISO 3166-1 alpha-3)"),
    Col("nationality", description="Nationality, as the Home Office names it"),
)
APPLICANT = Col(
    "applicant_type",
    allowed=("main-applicant", "dependant"),
    description="main-applicant or dependant",
)
MONTHS = Col(
    "months_covered",
    "integer",
    ge=1,
    le=12,
    unit="months",
    description="Months of the year the figures cover (9 for 2024 in this release)",
)


def _decisions(*names: str, required: bool = True) -> tuple[Col, ...]:
    return tuple(
        _count(c, required, unit="decisions (persons or cases)", description=DEC_COUNT_DOCS[c])
        for c in names
    )


def _period(required: bool = True, what: str = "the figure") -> tuple[Col, Col]:
    return (
        _date("period_start", required, description=f"First day of the period {what} covers"),
        _date("period_end", required, description=f"Last day of the period {what} covers"),
    )


PROCESSED_TABLES = [
    Table(
        "unhcr_applications",
        "processed",
        (
            _year(lo=2000, description="Calendar year the applications were lodged"),
            ORIGIN,
            *UNHCR_ASYLUM,
            PROCEDURE,
            APP_TYPE,
            DEC_LEVEL,
            Col(
                "app_pc",
                allowed=("P", "C"),
                description="Counting unit: P persons, C cases; never add the two",
            ),
            _count("applied", unit="persons or cases (see app_pc)", description="Claims lodged"),
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
            _year(lo=2000, description="Calendar year of the decisions"),
            ORIGIN,
            *UNHCR_ASYLUM,
            PROCEDURE,
            DEC_LEVEL,
            Col(
                "dec_pc",
                allowed=("P", "C"),
                description="Counting unit: P persons, C cases; never add the two",
            ),
            *_decisions(*DEC_COUNTS),
        ),
        key=("year", "origin_iso3", "asylum_iso3", "procedure_type", "dec_level", "dec_pc"),
        description="UNHCR asylum decisions (all levels) by origin, country of asylum and year",
    ),
    Table(
        "unhcr_population",
        "processed",
        (_year(description="Year whose end the stocks describe"), ORIGIN, *UNHCR_ASYLUM, *STOCKS),
        key=("year", "origin_iso3", "asylum_iso3"),
        description="UNHCR end-year stocks of refugees, asylum-seekers and OIP by origin and asylum country",
    ),
    Table(
        "unhcr_applications_origin_year",
        "processed",
        (
            _year(lo=2000, description="Calendar year the applications were lodged"),
            ORIGIN_OR_ALL,
            APP_TYPE,
            _count(
                "applied",
                unit="persons and cases mixed",
                description="Claims lodged, summed upstream over every country of asylum (mixes "
                "persons and cases: for ranking and shares only)",
            ),
        ),
        key=("year", "origin_iso3", "app_type"),
        description="UNHCR asylum applications per year for RUS, UKR, BLR and all origins (WLD); "
        "mixes persons and cases",
    ),
    Table(
        "unhcr_decisions_origin_year",
        "processed",
        (
            _year(lo=2000, description="Calendar year of the decisions"),
            ORIGIN_OR_ALL,
            DEC_LEVEL,
            *_decisions(*DEC_COUNTS, required=False),
        ),
        key=("year", "origin_iso3", "dec_level"),
        description="UNHCR asylum decisions per year and level for RUS, UKR, BLR and all origins",
    ),
    Table(
        "unhcr_population_origin_year",
        "processed",
        (_year(description="Year whose end the stocks describe"), ORIGIN_OR_ALL, *STOCKS),
        key=("year", "origin_iso3"),
        description="UNHCR end-year stocks per year for RUS, UKR, BLR and all origins",
    ),
    Table(
        "foreign_agents_events",
        "processed",
        (
            _date("date", description="Date of the Ministry of Justice's decision"),
            EVENT,
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
                description="Kind of entry (unknown where the source leaves it empty)",
            ),
            LEGAL_BASIS,
            _count("count", unit="register entries", description="Entries designated or removed"),
        ),
        key=("date", "event", "agent_type", "legal_basis"),
        description="Designations to and removals from the Russian foreign-agents register per "
        "decision date, type and legal basis (counts only)",
    ),
    Table(
        "foreign_agents_legal_bases",
        "processed",
        (
            LEGAL_BASIS,
            Col("law", description="The law, by its number (e.g. 255-FZ)"),
            Col("article", description="The article of the law"),
            _date("law_date", description="Date the law was signed"),
            Col("law_title_en", description="Title of the law in English"),
            Col("basis_as_published", description="The source's text of the provision (Russian)"),
        ),
        key=("legal_basis",),
        description="Legal bases of the foreign-agents register",
    ),
    Table(
        "undesirable_designations",
        "processed",
        (
            _date("date", description="Date of inclusion in the list"),
            _iso3(
                "org_country_iso3",
                required=False,
                description="The organisation's country, where its entry names one (ISO3; empty "
                "when not stated)",
            ),
            _count("count", unit="organisations", description="Organisations included"),
        ),
        key=("date", "org_country_iso3"),
        description="Inclusions in the Russian list of undesirable organisations per date and "
        "country of the organisation (where stated), state of 3 July 2026",
    ),
    Table(
        "undesirable_per_year",
        "processed",
        (
            _year(lo=2015, description="Calendar year of inclusion"),
            _count("designations", unit="organisations", description="Organisations included"),
            PERIOD_END_CUT,
            PARTIAL_YEAR,
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
            _date("date", description="Date of the Ministry of Justice's decision"),
            EVENT,
            Col(
                "entry_kind",
                allowed=("individual", "organisation"),
                description="individual or organisation (the source's person flag)",
            ),
            _count("count", unit="register entries", description="Entries designated or removed"),
        ),
        key=("date", "event", "entry_kind"),
        description="Designations to and removals from the Russian foreign-agents register per "
        "decision date and kind of entry, state of 10 July 2026 (counts only)",
    ),
    Table(
        "foreign_agents_per_year",
        "processed",
        (
            _year(lo=2012, description="Calendar year of the decisions"),
            _count("designations", unit="register entries", description="Entries designated"),
            _count(
                "designations_individuals",
                unit="persons",
                description="Entries designated that are individuals",
            ),
            _count("removals", unit="register entries", description="Entries removed"),
            PERIOD_END_CUT,
            PARTIAL_YEAR,
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
                description="Eurostat dataset: migr_resfirst first permits in the year, "
                "migr_resvalid permits valid on 31 December, migr_acq naturalisations, "
                "migr_emi1ctz emigrants, migr_pop1ctz population on 1 January",
            ),
            _iso3("geo_iso3", description="Reporting country (ISO 3166-1 alpha-3)"),
            Col("geo_name", description="Reporting country, as Eurostat names it"),
            _year(lo=1990, description="Reference year"),
            _count(
                "value",
                False,
                unit="persons (permits for the permit datasets)",
                description="Russian citizens counted by the dataset (empty where Eurostat has "
                "no figure)",
            ),
        ),
        key=("dataset", "geo_iso3", "year"),
        description="Eurostat: permits, naturalisations, emigration and population of Russian "
        "citizens in nine European countries",
    ),
    Table(
        "uk_applications",
        "processed",
        (
            _year(lo=2000, description="Calendar year"),
            Col("quarter", "integer", ge=1, le=4, description="Quarter of the year (1-4)"),
            *NATIONALITY,
            APPLICANT,
            _count(
                "applications",
                unit="persons",
                description="Asylum applications (summed over age, sex and place of application)",
            ),
        ),
        key=("year", "quarter", "nationality_iso3", "applicant_type"),
        description="UK asylum applications per quarter by nationality and applicant type",
    ),
    Table(
        "uk_initial_decisions",
        "processed",
        (
            _year(lo=2000, description="Calendar year of the decisions"),
            *NATIONALITY,
            APPLICANT,
            Col(
                "outcome_group",
                allowed=(
                    "grant-of-protection",
                    "grant-of-other-leave",
                    "refused",
                    "withdrawn",
                    "administrative-outcome",
                ),
                description="Outcome of the initial decision",
            ),
            _count("decisions", unit="persons", description="Initial decisions with that outcome"),
            MONTHS,
        ),
        key=("year", "nationality_iso3", "applicant_type", "outcome_group"),
        description="UK initial asylum decisions per year by nationality and outcome group",
    ),
    Table(
        "uk_grant_rates",
        "processed",
        (
            _year(lo=2000, description="Calendar year of the decisions"),
            Col("nationality", description="Nationality or group, as the Home Office names it"),
            _iso3(
                "nationality_iso3",
                required=False,
                description="Nationality (ISO3; empty for groups that are not countries)",
            ),
            _count("grants", unit="decisions", description="Initial grants of protection"),
            _count("refusals", unit="decisions", description="Initial refusals"),
            Col(
                "grant_rate",
                "number",
                required=False,
                ge=0,
                le=1,
                unit="fraction (0-1)",
                description="grants / (grants + refusals), recomputed (empty when both are 0)",
            ),
            Col(
                "grant_rate_source",
                "number",
                required=False,
                ge=0,
                le=1,
                unit="fraction (0-1)",
                description="The source's grant rate (checked to match within 1e-9)",
            ),
            MONTHS,
        ),
        key=("year", "nationality"),
        description="UK initial grant rates per year and nationality (all nationalities)",
    ),
    Table(
        "uk_initial_decisions_totals",
        "processed",
        (
            Col("nationality", description="Nationality, as the compiler names it"),
            _iso3(
                "nationality_iso3",
                required=False,
                description="Nationality (ISO3; empty for groups that are not countries)",
            ),
            Col("region", description="World region, as the compiler groups it"),
            *_period(what="the totals"),
            _count("grants", unit="decisions", description="Initial grants of protection"),
            _count("refusals", unit="decisions", description="Initial refusals"),
            _count("withdrawn", unit="decisions", description="Claims withdrawn"),
            _count(
                "administrative_outcomes",
                unit="decisions",
                description="Administrative outcomes (e.g. non-substantiated claims)",
            ),
            _count("substantive_decisions", unit="decisions", description="grants + refusals"),
            _count("decisions", unit="decisions", description="All initial decisions"),
            Col(
                "grant_rate",
                "number",
                ge=0,
                le=1,
                unit="fraction (0-1)",
                description="grants / substantive_decisions, recomputed",
            ),
            Col(
                "grant_rate_pct_source",
                "number",
                ge=0,
                le=100,
                unit="percent",
                description="The compiler's grant rate (checked to one decimal)",
            ),
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
            _iso3(
                "iso3",
                description="Country code (ISO 3166-1 alpha-3, fixed where Natural Earth has -99)",
            ),
            Col("name", description="Short name"),
            Col("name_long", description="Long name"),
            Col("continent", description="Continent"),
            Col("region_un", description="UN region"),
            Col("subregion", description="UN subregion"),
            Col(
                "iso3_from",
                allowed=("ISO_A3", "ADM0_A3"),
                description="Natural Earth field the code comes from",
            ),
        ),
        key=("iso3",),
        description="Natural Earth 1:110m country attributes (ISO3 fixed)",
    ),
    Table(
        "press_figures",
        "processed",
        (
            Col(
                "figure_id",
                pattern=r"^F\d{2,}$",
                description="Stable id (F01..., by row of the raw transcription)",
            ),
            Col("series", description="The series the figure belongs to"),
            Col("producer", allowed=("The Bell", "FSB Border Service"), description="Producer"),
            Col(
                "concept",
                allowed=("stock-abroad", "border-crossings"),
                description="What is counted: stock-abroad or border-crossings (never add them)",
            ),
            *_period(),
            Col("destination", description="Destination, as reported"),
            _iso3(
                "destination_iso3",
                required=False,
                description="Destination (ISO3; WLD all destinations; empty where none exists)",
            ),
            _count("value", unit="see unit", description="The figure"),
            Col("unit", allowed=("persons", "trips"), description="Unit of value"),
            Col("precision", description="How exact the figure is, as published"),
            Col("value_as_stated", description="The sentence on the cited page"),
            Col(
                "reporting_page_url",
                pattern=r"^https?://",
                description="Address of the page that reports the figure",
            ),
            _date("reporting_page_date", False, description="Date of that page"),
            Col(
                "citation_key",
                citation=True,
                description="Bibliography key of the page that holds this figure",
            ),
            Col("reported_by", description="The outlet that reported the figure"),
            Col(
                "grade",
                allowed=("A", "B", "C"),
                description="Confidence grade: A producer, B established outlet, C weak source",
            ),
            Col("note", required=False, description="Caveats"),
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
GRADE = Col(
    "grade",
    allowed=("A", "B", "C"),
    description="Confidence grade: A producer of the fact, B established secondary source, "
    'C weak source only (the row then says "Unverified")',
)
CITE = Col(
    "citation_key",
    citation=True,
    description="Bibliography key(s) of the source(s), separated by ';' (see references.bib)",
)
AS_PUBLISHED = Col("as_published", required=False, description="The source's own words, quoted")
FIGURE_AS_PUBLISHED = Col("figure_as_published", description="The figure as the source states it")
PRECISION = ("day", "month", "year")


def _bounds(unit: str) -> tuple[Col, Col, Col]:
    """low, central, high of an estimate (at least one set; low <= central <= high)."""
    return tuple(
        Col(name, "number", False, ge=0, unit=unit, description=f"{what} of the estimate")
        for name, what in (
            ("low", "Lower bound"),
            ("central", "Central value"),
            ("high", "Upper bound"),
        )
    )


CURATED_TABLES = [
    Table(
        "timeline",
        "curated",
        (
            Col("event_id", pattern=r"^T\d{3,}$", description="Stable id (T001...)"),
            _date("date", description="Date of the event (a month or year: its first day)"),
            Col("date_precision", allowed=PRECISION, description="How exact date is"),
            _date("end_date", False, description="Last day of an event that lasted"),
            Col("wave", allowed=WAVES, description="Wave of emigration the event belongs to"),
            Col("category", allowed=CATEGORIES, description="Kind of event"),
            Col("title", max_len=60, description="Short title (at most 60 characters)"),
            Col("description", description="What happened"),
            AS_PUBLISHED,
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
            Col("wave", allowed=WAVES, description="Wave of emigration"),
            Col("estimator", description="Who made the estimate"),
            *_period(False, "the estimate"),
            Col("concept", description="Who is counted, in the estimator's terms"),
            *_bounds("see unit"),
            Col("unit", description="Unit of low, central and high"),
            FIGURE_AS_PUBLISHED,
            CITE,
            GRADE,
            Col("note", required=False, description="Caveats"),
            Col(
                "compare_group",
                required=False,
                pattern=r"^W\d$",
                description="Estimates of one wave the history chapter compares (W1...W8)",
            ),
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
            Col("estimate_id", pattern=r"^E\d{3,}$", description="Stable id (E001...)"),
            Col("estimator", description="Who made the estimate"),
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
                description="Kind of estimator",
            ),
            _date("date_published", False, description="Date the estimate was published"),
            *_period(False, "the estimate"),
            Col(
                "geography",
                pattern=ISO3,
                description="Where (ISO3; EUU the European Union, WLD all destinations)",
            ),
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
                description="What is estimated; different concepts are never added together",
            ),
            *_bounds("see unit"),
            Col(
                "unit",
                allowed=("persons", "trips", "permits", "claims", "share"),
                description="Unit of low, central and high (share: a fraction 0-1)",
            ),
            Col("method", required=False, description="How the estimator arrived at it"),
            FIGURE_AS_PUBLISHED,
            CITE,
            GRADE,
            Col("note", required=False, description="Caveats"),
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
            Col("policy_id", pattern=r"^P\d{3,}$", description="Stable id (P001...)"),
            Col("jurisdiction", pattern=ISO3, description="Host state (ISO3)"),
            Col("jurisdiction_name", description="Host state"),
            _date("date_announced", False, description="Date the measure was announced"),
            _date("date_in_force", False, description="Date the measure took effect"),
            _date("date_ended", False, description="Last day the measure applied"),
            Col("measure_type", allowed=MEASURE_TYPES, description="Kind of measure"),
            # mixed: one measure that eases the way for some Russians and bars it for others
            Col(
                "direction",
                allowed=("restrictive", "facilitating", "mixed"),
                description="Whether it restricts or facilitates entry or stay of Russians, or both",
            ),
            Col("instrument", required=False, description="The legal instrument"),
            Col("affected", required=False, description="Who the measure applies to"),
            Col("summary", description="What the measure does"),
            AS_PUBLISHED,
            CITE,
            GRADE,
            # how exact each date is (a month-only date is written as its first day)
            Col(
                "date_announced_precision",
                required=False,
                allowed=PRECISION,
                description="How exact date_announced is",
            ),
            Col(
                "date_in_force_precision",
                required=False,
                allowed=PRECISION,
                description="How exact date_in_force is",
            ),
            Col(
                "date_ended_precision",
                required=False,
                allowed=PRECISION,
                description="How exact date_ended is",
            ),
            # measure: applies over a period (in force until it ends); event: a one-off act at a
            # point in time (a deportation, a refusal at a border, a court case), never in force
            Col(
                "kind",
                allowed=("measure", "event"),
                description="measure: applies over a period; event: a one-off act at a point in time",
            ),
            Col("short_name", max_len=44, description="Short name printed on the timeline chart"),
            # why a row is left out of the stance analysis (empty: it counts)
            Col(
                "stance_exclusion",
                required=False,
                description="Why the row is left out of the stance analysis (empty: it counts)",
            ),
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
            Col("legal_id", pattern=r"^L\d{3,}$", description="Stable id (L001...)"),
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
                description="Kind of legal source",
            ),
            Col(
                "jurisdiction",
                pattern=ISO3,
                description="Jurisdiction (ISO3; EUU the European Union, INT international)",
            ),
            Col("court_or_body", required=False, description="Court or body that issued it"),
            Col("title", description="Title or case name"),
            Col("reference", required=False, description="Official reference (case number, ...)"),
            _date("date", False, description="Date of the instrument or judgment"),
            Col("provision", description="The provision that matters"),
            Col("relevance", description="Why it matters for Russian exiles"),
            AS_PUBLISHED,
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
            Col("conflict_id", pattern=r"^K\d{2,}$", description="Stable id (K01...)"),
            Col("topic", description="What the sources disagree about"),
            # one curated table, or several separated by ';' when a conflict spans tables
            Col(
                "table",
                pattern=r"^(timeline|wave_estimates|estimates|policies|legal)"
                r"(;(timeline|wave_estimates|estimates|policies|legal))*$",
                description="Curated table(s) the conflicting rows are in, separated by ';'",
            ),
            Col("row_ids", required=False, description="Ids of the rows concerned"),
            Col("claim_a", description="What the first source says"),
            Col(
                "source_a",
                required=False,
                citation=True,
                description="Bibliography key(s) of the first claim (empty: no stored source)",
            ),
            Col("claim_b", description="What the second source says"),
            Col(
                "source_b",
                required=False,
                citation=True,
                description="Bibliography key(s) of the second claim",
            ),
            Col("likely_reason", description="Why they probably differ"),
            Col("treatment", description="How the report treats the disagreement"),
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
            Col(
                "value",
                "number",
                ge=0,
                unit="as given in the row's unit column",
                description="The figure, in its unit",
            ),
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
            Col("note", required=False, description="Caveats"),
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
            Col("value", "number", ge=0, unit="persons", description="Resident population"),
            Col("bound", allowed=("exact", "about"), description="How the source qualifies it"),
            Col("figure_as_published", description="The figure as the source prints it"),
            CITE,
            GRADE,
            Col("note", required=False, description="Caveats"),
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
