"""Chapter 3, host-state responses: parameters and computations."""

from __future__ import annotations

from ..params import Param

MEASURE_TYPES = ("visa-suspension", "visa-restriction", "entry-ban", "border-closure",
                 "residence-rule", "humanitarian-visa", "asylum-practice", "work-permit",
                 "registration-rule", "travel-document", "other")

PARAMETERS = [
    Param("as_of", "date", "Date the map of stances shows."),
    Param("jurisdictions", "list[str]", "Jurisdictions (ISO3, EUU for the EU) to include."),
    Param("measure_types", "list[str]", "Measure types to include.", choices=MEASURE_TYPES),
]
