"""Citations written into the prose: bibliography keys to pandoc's ``[@key]`` syntax."""

from __future__ import annotations

import pandas as pd


def cite(keys) -> str:
    """'a;b' or ['a', 'b'] -> '[@a; @b]' (each key once, in order); '' when there is none."""
    if isinstance(keys, str) or not isinstance(keys, (list, tuple, pd.Series)):
        keys = [keys]
    seen = []
    for k in keys:
        if k is None or (not isinstance(k, str) and pd.isna(k)):
            continue
        for part in str(k).split(";"):
            part = part.strip()
            if part and part not in seen:
                seen.append(part)
    return "[" + "; ".join(f"@{k}" for k in seen) + "]" if seen else ""
