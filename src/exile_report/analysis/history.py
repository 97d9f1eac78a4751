"""Chapter 1, the history of exile: parameters and computations."""

from __future__ import annotations

from ..params import Param

CATEGORIES = ("law", "repression", "expulsion", "emigration-wave", "exile-institution",
              "designation", "war")

PARAMETERS = [
    Param("start_year", "int", "First year shown on the timeline and the long series.",
          minimum=1700, maximum=2030),
    Param("end_year", "int", "Last year shown.", minimum=1700, maximum=2030),
    Param("categories", "list[str]", "Timeline event categories to show.", choices=CATEGORIES),
]


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: the year range must run forwards."""
    if values["start_year"] > values["end_year"]:
        return [f"start_year ({values['start_year']}) is after end_year ({values['end_year']})"]
    return []
