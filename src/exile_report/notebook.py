"""What every chapter notebook calls first, right after its ``parameters`` cell.

It checks the parameters again (a reader may run the notebook by hand in Jupyter, bypassing the
build), applies the house style, and returns the validated values.
"""

from __future__ import annotations

import pandas as pd

from .params import ParamError, chapter_specs, check_together
from .plotting import apply_style


def setup(chapter: str, namespace: dict) -> dict:
    """Validate this chapter's parameters found in ``namespace`` and prepare plotting.

    Raises :class:`ParamError` naming the parameter when a value is missing or invalid.
    """
    spec = chapter_specs()[chapter]
    values = {}
    for p in spec.params:
        if p.name not in namespace:
            raise ParamError(f"parameter {chapter}.{p.name} is not set in the parameters cell")
        values[p.name] = p.check(chapter, namespace[p.name])
    check_together(spec, values)
    apply_style()
    pd.set_option("display.width", 120)
    return values
