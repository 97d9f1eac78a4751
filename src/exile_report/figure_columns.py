"""What the columns of a figure's CSV mean: a unit and a description per column, declared once
per figure (here, by the figure's label, or passed to ``save_figure(..., columns=...)``).

:func:`exile_report.plotting.save_figure` checks the declaration against the figure's data and
writes it next to the CSV as a Frictionless Table Schema (``figures/<label>.schema.json``); the
data bundle lists each declared figure CSV as a resource with that schema
(:func:`figure_resources`). Columns copied from a data table take their meaning from
:mod:`exile_report.schemas` (:func:`from_table`), so it is stated once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

#: A column's (unit, description); the unit is "" for names, codes, dates and other non-counts.
Column = tuple[str, str]


def from_table(table: str, *names: str) -> dict[str, Column]:
    """The unit and description of columns of a data table, as its schema declares them."""
    from .schemas import TABLES

    cols = {c.name: c for c in TABLES[table].columns}
    return {n: (cols[n].unit, cols[n].description) for n in names}


def renamed(columns: dict[str, Column], figure: str) -> dict[str, Column]:
    """``columns`` under the plain names the figure's CSV gives them (:data:`PLAIN_NAMES`)."""
    plain = PLAIN_NAMES.get(figure, {})
    return {plain.get(name, name): meaning for name, meaning in columns.items()}


def plain_frame(label: str, data: pd.DataFrame) -> pd.DataFrame:
    """The figure's data with its columns under the names a reader downloads (the chart and the
    data tables keep their own names)."""
    return data.rename(columns=PLAIN_NAMES.get(label, {}))


#: Column names of a figure's data a reader would not understand -> the plain name its CSV
#: gives them. Only the downloaded CSV is renamed; the data tables keep their schema's names.
PLAIN_NAMES: dict[str, dict[str, str]] = {
    "fig-wave-sizes": {"bound": "figure_type"},
    "fig-machinery": {
        "individuals": "foreign_agents_individuals",
        "organisations": "foreign_agents_organisations",
        "designations": "foreign_agents_designated",
        "removals": "foreign_agents_removed",
        "partial": "foreign_agents_year_incomplete",
        "period_end": "foreign_agents_counted_until",
        "undesirable_designations": "undesirable_organisations_designated",
        "undesirable_partial": "undesirable_year_incomplete",
        "undesirable_period_end": "undesirable_counted_until",
    },
    "fig-scale-hosts": {"geography": "country_code"},
    "fig-scale-map": {"geography": "country_code", "mapped_value": "value_on_map"},
    "fig-scale-permits": {
        "geo_iso3": "country_code",
        "geo_name": "country",
        "value": "first_permits",
    },
    "fig-scale-sensitivity": {
        "assumption": "choice",
        "phrase": "choice_in_words",
        "low_total": "sum_at_low_end",
        "high_total": "sum_at_high_end",
        "low_case": "figure_at_low_end",
        "high_case": "figure_at_high_end",
        "base": "sum_with_default_choices",
        "swing": "difference_high_minus_low",
    },
    "fig-host-measures-timeline": {
        "jurisdiction": "jurisdiction_code",
        "jurisdiction_name": "jurisdiction",
        "short_name": "label_on_chart",
    },
    "fig-host-stance-map": {
        "jurisdiction": "jurisdiction_code",
        "name": "jurisdiction",
        "announced_not_in_force": "announced_not_yet_in_force",
        "ended": "ended_measures",
        "undated": "undated_measures",
        "in_force_ids": "measures_in_force",
        "event_ids": "events",
    },
    "fig-host-flows": {
        "host": "country_code",
        "asylum_new_persons": "new_asylum_applications_persons",
        "asylum_new_cases": "new_asylum_applications_cases",
    },
    "fig-asylum-applications": {
        "new_persons": "new_applications_persons",
        "new_cases": "new_applications_cases",
        "unsplit_persons": "new_or_repeat_applications_persons",
        "unsplit_cases": "new_or_repeat_applications_cases",
        "origin_iso3": "origin_code",
    },
    "fig-asylum-origins": {
        "origin_iso3": "origin_code",
        "new_persons": "new_applications_persons",
        "new_cases": "new_applications_cases",
        "unsplit_persons": "new_or_repeat_applications_persons",
        "unsplit_cases": "new_or_repeat_applications_cases",
        "persons_lodged": "applications_persons",
        "substantive": "substantive_decisions",
    },
    "fig-asylum-rates-by-destination": {
        "asylum_iso3": "destination_code",
        "asylum_name": "destination",
        "dec_pc": "counting_unit",
        "dec_recognized": "refugee_status",
        "dec_other": "complementary_protection",
        "dec_rejected": "rejected",
        "dec_closed": "closed_otherwise",
        "dec_total": "all_decisions",
        "substantive": "substantive_decisions",
        "origin_iso3": "origin_code",
    },
    "fig-asylum-stock": {"origin_iso3": "origin_code"},
    "fig-asylum-top-destinations": {
        "asylum_iso3": "destination_code",
        "asylum_name": "destination",
        "applied": "applications_persons",
        "origin_iso3": "origin_code",
    },
    "fig-asylum-uk": {
        "nationality_iso3": "nationality_code",
        "months_covered": "months_covered_applications",
        "months_covered_rates": "months_covered_decisions",
    },
}

_ISO = "(ISO 3166-1 alpha-3)"
_RATE = "fraction (0-1)"
_CITE = from_table("estimates", "citation_key")

#: Declarations by figure label, under the names of the figure's CSV (after :data:`PLAIN_NAMES`).
COLUMNS: dict[str, dict[str, Column]] = {
    # ---------------------------------------------------------------- chapter 1
    "fig-timeline": {
        **from_table(
            "timeline",
            "event_id",
            "date",
            "date_precision",
            "end_date",
            "wave",
            "category",
            "title",
            "citation_key",
            "grade",
        ),
    },
    "fig-wave-sizes": renamed(
        {
            **from_table(
                "wave_estimates",
                "wave",
                "estimator",
                "period_start",
                "period_end",
                "concept",
            ),
            "low": ("persons", "Lower bound of the estimate"),
            "central": ("persons", "Central value of the estimate"),
            "high": ("persons", "Upper bound of the estimate"),
            "bound": (
                "",
                "What the source gives: point (one figure), range (low to high), "
                + "lower (at least) or upper (at most)",
            ),
            **from_table("wave_estimates", "figure_as_published", "citation_key", "grade"),
        },
        "fig-wave-sizes",
    ),
    "fig-machinery": renamed(
        {
            "year": ("year", "Calendar year of the decisions"),
            "individuals": ("persons", "Foreign agents designated: individuals"),
            "organisations": (
                "register entries",
                "Foreign agents designated: organisations and associations",
            ),
            "designations": ("register entries", "Foreign agents designated (all entries)"),
            "removals": ("register entries", "Entries removed from the foreign-agent register"),
            "partial": (
                "",
                "True for the year the register snapshot cuts short (not comparable with full years)",
            ),
            "period_end": ("", "Last day the year's foreign-agent figures cover"),
            "undesirable_designations": ("organisations", "Organisations declared undesirable"),
            "undesirable_partial": (
                "",
                "True for the year the list of undesirable organisations cuts short",
            ),
            "undesirable_period_end": (
                "",
                "Last day the year's undesirable-organisation figures cover",
            ),
        },
        "fig-machinery",
    ),
    "fig-unhcr-long": {
        "year": ("year", "Year whose end the figures describe"),
        "refugees": ("persons", "Refugees of Russian origin at the end of the year"),
        "asylum_seekers": (
            "persons",
            "Asylum-seekers of Russian origin with pending claims at the end of the year "
            + "(empty where not reported)",
        ),
        "total": ("persons", "Refugees plus asylum-seekers"),
    },
    # ---------------------------------------------------------------- chapter 2
    "fig-scale-ladder": from_table(
        "estimates",
        "estimate_id",
        "estimator",
        "period_end",
        "concept",
        "unit",
        "low",
        "central",
        "high",
        "citation_key",
    ),
    "fig-scale-hosts": renamed(
        {
            **from_table(
                "estimates",
                "geography",
                "estimate_id",
                "estimator",
                "period_end",
                "concept",
                "unit",
                "low",
                "central",
                "high",
            ),
            "geography": ("", f"Host country {_ISO}"),
            "value": (
                "see unit",
                "Where the chart draws the figure: the central value, or the middle of the range",
            ),
            "used_in_estimate": (
                "",
                "Whether our estimate of people still abroad uses this figure",
            ),
            **_CITE,
        },
        "fig-scale-hosts",
    ),
    "fig-scale-map": renamed(
        {
            "geography": ("", f"Host country {_ISO}"),
            **from_table("estimates", "estimate_id", "estimator", "period_end"),
            "low": ("persons", "Lower bound of the published figure"),
            "central": ("persons", "Central value of the published figure"),
            "high": ("persons", "Upper bound of the published figure"),
            **_CITE,
            "country": ("", "Host country"),
            "mapped_value": (
                "persons",
                "The value the map shades: the central value, or the mean of the published bounds",
            ),
        },
        "fig-scale-map",
    ),
    "fig-scale-permits": renamed(
        {
            "geo_iso3": ("", f"Country issuing the permits {_ISO}"),
            "geo_name": ("", "Country issuing the permits"),
            "year": ("year", "Calendar year of issue"),
            "value": ("permits", "First residence permits issued to Russian citizens in the year"),
        },
        "fig-scale-permits",
    ),
    "fig-scale-sensitivity": renamed(
        {
            "assumption": ("", "The choice changed, one at a time (the chart's row label)"),
            "phrase": ("", "The same choice in words, as the text names it"),
            "low_total": (
                "persons",
                "Central sum of people still abroad with the choice at its low end",
            ),
            "high_total": ("persons", "Central sum with the choice at its high end"),
            "low_case": ("", "The figure (register id) or date at the low end"),
            "high_case": ("", "The figure (register id) or date at the high end"),
            "base": ("persons", "Central sum with the default choices"),
            "swing": ("persons", "Sum at the high end minus sum at the low end"),
        },
        "fig-scale-sensitivity",
    ),
    "fig-scale-asylum": {
        "year": ("year", "Calendar year the applications were lodged"),
        "persons": ("persons", "New asylum applications by Russian citizens, counted in persons"),
        "cases": (
            "cases",
            "New asylum applications by Russian citizens reported in cases "
            + "(a case may hold several persons; never added to persons)",
        ),
    },
    # ---------------------------------------------------------------- chapter 3
    "fig-host-measures-timeline": renamed(
        {
            **from_table("policies", "policy_id", "jurisdiction", "jurisdiction_name"),
            "short_name": ("", "The measure's name as printed on the chart"),
            **from_table(
                "policies",
                "kind",
                "measure_type",
                "direction",
            ),
            "status": (
                "",
                "State of the measure on the chart's date: in force, announced, ended, future, "
                + "undated or event",
            ),
            **from_table(
                "policies", "date_announced", "date_in_force", "date_ended", "citation_key"
            ),
        },
        "fig-host-measures-timeline",
    ),
    "fig-host-stance-map": renamed(
        {
            "jurisdiction": ("", f"Host state {_ISO}; EUU the European Union"),
            "restrictive_in_force": ("measures", "Restrictive measures in force on the date"),
            "facilitating_in_force": ("measures", "Facilitating measures in force on the date"),
            "mixed_in_force": ("measures", "Measures in force that both restrict and facilitate"),
            "announced_not_in_force": ("measures", "Measures announced but not yet in force"),
            "ended": ("measures", "Measures that had ended by the date"),
            "undated": ("measures", "Measures whose sources give no start date"),
            "events_to_date": ("events", "One-off events recorded up to the date (set no colour)"),
            "in_force_ids": (
                "",
                "Ids of the measures in force, separated by ';' (see policies.csv)",
            ),
            "event_ids": ("", "Ids of the one-off events, separated by ';' (see policies.csv)"),
            "stance": (
                "",
                "The colour on the map: restrictive, facilitating, mixed (both) or none",
            ),
            "as_of": ("", "The date the map shows"),
            "name": ("", "Host state"),
        },
        "fig-host-stance-map",
    ),
    "fig-host-measure-counts": {
        "period": ("", "Half-year the measures took effect"),
        "family": ("", "Family of measure"),
        "direction": ("", "Whether the measures restrict or facilitate entry or stay of Russians"),
        "measures": ("measures", "Measures taking effect in the half-year"),
    },
    "fig-host-flows": renamed(
        {
            "host": ("", f"Host state {_ISO}"),
            "year": ("year", "Calendar year"),
            "asylum_new_persons": (
                "persons",
                "New asylum applications by Russian citizens, counted in persons",
            ),
            "asylum_new_cases": (
                "cases",
                "New asylum applications by Russian citizens reported in cases (never added to persons)",
            ),
            "first_permits": (
                "permits",
                "First residence permits issued to Russian citizens (Eurostat; empty where not covered)",
            ),
        },
        "fig-host-flows",
    ),
}

_ORIGIN = ("", f"Country of origin of the applicants {_ISO}")
_APPLICATIONS = {
    "new_persons": ("persons", "New asylum applications, counted in persons"),
    "new_cases": ("cases", "New asylum applications, counted in cases (never added to persons)"),
    "unsplit_persons": (
        "persons",
        "Applications not split into new and repeat (before 2006), counted in persons",
    ),
    "unsplit_cases": (
        "cases",
        "Applications not split into new and repeat (before 2006), counted in cases",
    ),
}
COLUMNS |= {
    # ---------------------------------------------------------------- chapter 4
    "fig-asylum-applications": renamed(
        {
            "year": ("year", "Calendar year the applications were lodged"),
            **_APPLICATIONS,
            "origin_iso3": _ORIGIN,
        },
        "fig-asylum-applications",
    ),
    "fig-asylum-origins": renamed(
        {
            "year": ("year", "Calendar year"),
            "origin_iso3": _ORIGIN,
            **_APPLICATIONS,
            "persons_lodged": (
                "persons",
                "Applications by persons as drawn: new ones, and before 2006 those not split "
                + "into new and repeat",
            ),
            "substantive": (
                "decisions",
                "First-instance decisions on the merits (granted or rejected), persons",
            ),
            "protection_rate": (
                _RATE,
                "Share of substantive decisions granting refugee status or complementary "
                + "protection (empty below the minimum number of decisions)",
            ),
        },
        "fig-asylum-origins",
    ),
    "fig-asylum-rates-by-destination": renamed(
        {
            "asylum_iso3": ("", f"Country of asylum {_ISO}"),
            "asylum_name": ("", "Country of asylum"),
            **from_table(
                "unhcr_decisions",
                "dec_pc",
                "dec_recognized",
                "dec_other",
                "dec_rejected",
                "dec_closed",
                "dec_total",
            ),
            "substantive": (
                "decisions",
                "Decisions on the merits: refugee status, complementary protection or rejection",
            ),
            "refugee_rate": (_RATE, "Share of substantive decisions granting refugee status"),
            "protection_rate": (
                _RATE,
                "Share of substantive decisions granting refugee status or complementary protection",
            ),
            "closed_share": (_RATE, "Share of all decisions that closed the case otherwise"),
            "origin_iso3": _ORIGIN,
            "period": ("", "Years of the decisions (first instance)"),
        },
        "fig-asylum-rates-by-destination",
    ),
    "fig-asylum-stock": renamed(
        {
            "year": ("year", "Year whose end the figures describe"),
            "origin_iso3": ("", f"Country of origin {_ISO}"),
            **from_table("unhcr_population_origin_year", "refugees", "asylum_seekers"),
        },
        "fig-asylum-stock",
    ),
    "fig-asylum-top-destinations": renamed(
        {
            "year": ("year", "Calendar year the applications were lodged"),
            "rank": ("", "Rank of the destination in the year (1 = most applications)"),
            "asylum_iso3": ("", f"Country of asylum {_ISO}"),
            "asylum_name": ("", "Country of asylum"),
            "applied": (
                "persons",
                "Applications by persons: new ones, and before 2006 those not split into new and repeat",
            ),
            "share": (_RATE, "Share of the year's applications by persons, all destinations"),
            "origin_iso3": _ORIGIN,
        },
        "fig-asylum-top-destinations",
    ),
    "fig-asylum-uk": renamed(
        {
            "year": ("year", "Calendar year"),
            "nationality_iso3": ("", f"Nationality {_ISO}"),
            "main_applicants": ("persons", "Asylum applications in the UK by main applicants"),
            "dependants": ("persons", "Dependants on those applications"),
            "months_covered": ("months", "Months of the year the application figures cover"),
            **from_table("uk_grant_rates", "grants", "refusals"),
            "months_covered_rates": ("months", "Months of the year the decision figures cover"),
            **from_table("uk_grant_rates", "grant_rate"),
        },
        "fig-asylum-uk",
    ),
}


def check(label: str, data: pd.DataFrame, columns: dict[str, Column]) -> None:
    """Refuse a declaration that does not name exactly the figure's columns."""
    have, declared = list(data.columns), list(columns)
    if set(have) != set(declared):
        missing = [c for c in have if c not in columns]
        extra = [c for c in declared if c not in have]
        raise ValueError(
            f"{label}: columns of the figure's data and its declaration differ "
            f"(undeclared: {', '.join(map(str, missing)) or 'none'}; "
            f"declared but absent: {', '.join(extra) or 'none'})"
        )


def _type(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col):
        return "boolean"
    if pd.api.types.is_integer_dtype(col):
        return "integer"
    if pd.api.types.is_float_dtype(col):
        return "number"
    return "string"  # dates, codes and text: read as written


def table_schema(data: pd.DataFrame, columns: dict[str, Column]) -> dict:
    """A Frictionless Table Schema of the CSV written from ``data`` (as ``reader_table`` wrote
    it), with each column's unit (a custom property) and description."""
    fields = []
    for name in data.columns:
        unit, description = columns[name]
        field = {"name": str(name), "type": _type(data[name]), "description": description}
        if unit:
            field["unit"] = unit
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def schema_path(csv: Path) -> Path:
    return csv.with_name(csv.stem + ".schema.json")


def write_schema(csv: Path, data: pd.DataFrame, columns: dict[str, Column]) -> Path:
    path = schema_path(csv)
    text = json.dumps(table_schema(data, columns), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def figure_resources(figures: Path) -> list[tuple[Path, dict]]:
    """Each figure CSV in ``figures`` that has a declared schema, with its Frictionless
    resource (path relative to the bundle: ``figures/<label>.csv``)."""
    from .fingerprint import sha256_file

    out = []
    for csv in sorted(figures.glob("fig-*.csv")):
        schema = schema_path(csv)
        if not schema.is_file():
            continue
        out.append(
            (
                csv,
                {
                    "name": csv.stem,
                    "path": f"figures/{csv.name}",
                    "title": f"Data of {csv.stem}, as drawn",
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "hash": f"sha256:{sha256_file(csv)}",
                    "bytes": csv.stat().st_size,
                    "schema": json.loads(schema.read_text(encoding="utf-8")),
                },
            )
        )
    return out
