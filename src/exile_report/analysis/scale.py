"""Chapter 2, the scale of the exodus: parameters and computations."""

from __future__ import annotations

from ..params import Param

PARAMETERS = [
    Param("as_of", "date", "Date of our estimate: only figures referring to dates up to it are used."),
    Param("return_rate", "list[float]", "Low and high share of leavers who have returned.",
          minimum=0.0, maximum=1.0, length=2),
    Param("hosts", "list[str]", "Host countries (ISO3 codes) summed in our estimate."),
    Param("source_choice", "dict[str]",
          "Per host country (ISO3), the estimate id to use instead of the default choice."),
]


def check_params(values: dict) -> list[str]:
    """Cross-parameter checks: the low return rate may not exceed the high one."""
    low, high = values["return_rate"]
    if low > high:
        return [f"return_rate low ({low}) is above high ({high})"]
    return []
