"""Chapter 4, asylum law and practice: parameters and computations."""

from __future__ import annotations

from ..params import Param

ORIGINS = ("RUS", "UKR", "BLR")

PARAMETERS = [
    Param("start_year", "int", "First year of the statistics.", minimum=2000, maximum=2030),
    Param("end_year", "int", "Last year of the statistics.", minimum=2000, maximum=2030),
    Param("top_n", "int", "Number of destination countries to show.", minimum=1, maximum=40),
    Param("origins", "list[str]", "Origins to compare (ISO3).", choices=ORIGINS),
    Param("min_decisions", "int", "Minimum first-instance decisions for a rate to be shown.",
          minimum=0, maximum=100000),
]


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: the year range must run forwards."""
    if values["start_year"] > values["end_year"]:
        return [f"start_year ({values['start_year']}) is after end_year ({values['end_year']})"]
    return []
