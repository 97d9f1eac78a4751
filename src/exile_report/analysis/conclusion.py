"""The closing chapter: what is known and how firmly, what is not, how today's exile compares
with earlier waves, and what to watch.

The conclusion computes nothing new about the exodus itself: it takes the headline from the
chapter on scale (:func:`exile_report.analysis.scale.headline`), the wave estimates of the history chapter, the survey figures of
:mod:`exile_report.analysis.motives` and the population figures of
``data/curated/population.csv``, and sets them side by side only where the concepts allow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: The conclusion has no parameters of its own: it reads the other chapters' defaults.
PARAMETERS: list = []


class NoDenominator(LookupError):
    """No sourced population figure for a per-capita comparison."""


def population_at(population: pd.DataFrame, geography: str, citation_key: str | None = None):
    """The population figure of ``geography`` (the row cited by ``citation_key`` when given,
    else the latest); NoDenominator when the table holds none."""
    rows = population[population["geography"] == geography]
    if citation_key is not None:
        rows = rows[rows["citation_key"] == citation_key]
    if rows.empty:
        raise NoDenominator(f"no population figure for {geography} ({citation_key or 'any'})")
    return rows.sort_values("date").iloc[-1]


def per_capita(count: float, population: float) -> float:
    """A count as a share of a population; ValueError for a non-positive population."""
    if not population or population <= 0:
        raise ValueError(f"population must be positive, got {population!r}")
    return float(count) / float(population)


def years_between(start, end) -> float:
    """Length of a period in years (365.25 days)."""
    return (pd.Timestamp(end) - pd.Timestamp(start)).days / 365.25


@dataclass(frozen=True)
class Comparison:
    """One wave set beside the present one: what was counted, how many, over how long."""

    label: str
    concept: str
    low: float
    high: float
    start: pd.Timestamp
    end: pd.Timestamp
    population: float | None  # None: no sourced denominator
    source_keys: tuple[str, ...]

    @property
    def years(self) -> float:
        """Length of the period in years; NaN when it has no end."""
        if pd.isna(self.start) or pd.isna(self.end):
            return float("nan")
        return years_between(self.start, self.end)

    @property
    def share_low(self) -> float | None:
        return None if self.population is None else per_capita(self.low, self.population)

    @property
    def share_high(self) -> float | None:
        return None if self.population is None else per_capita(self.high, self.population)

    @property
    def per_year(self) -> tuple[float, float]:
        return self.low / self.years, self.high / self.years


def wave_row(waves: pd.DataFrame, group: str, estimator_prefix: str) -> pd.Series:
    """The one wave estimate of a comparison group whose estimator starts with the prefix."""
    rows = waves[
        (waves["compare_group"].fillna("") == group)
        & waves["estimator"].str.startswith(estimator_prefix)
    ]
    if len(rows) != 1:
        raise LookupError(
            f"wave_estimates: expected one {group} row by {estimator_prefix!r}, found {len(rows)}"
        )
    return rows.iloc[0]


def bounds(row) -> tuple[float, float]:
    """Low and high of an estimate, each falling back to the central value."""
    vals = [row.get(c) for c in ("low", "central", "high")]
    vals = [float(v) for v in vals if v is not None and not pd.isna(v)]
    if not vals:
        raise ValueError("an estimate without low, central or high")
    lo = row.get("low")
    hi = row.get("high")
    lo = float(lo) if lo is not None and not pd.isna(lo) else min(vals)
    hi = float(hi) if hi is not None and not pd.isna(hi) else max(vals)
    return lo, hi


def present_comparison(head, population: pd.DataFrame, start: pd.Timestamp) -> Comparison:
    """Today's exodus: the headline range (:class:`exile_report.analysis.scale.Headline`) over
    the population on the eve of the invasion."""
    pop = population_at(population, "RUS", "rp_2023_rosstatpopulation")
    return Comparison(
        label="Since the invasion",
        concept=head.concept,
        low=float(head.low),
        high=float(head.high),
        start=pd.Timestamp(start),
        end=pd.Timestamp(head.as_of),
        population=float(pop["value"]),
        source_keys=tuple(head.source_keys) + (pop["citation_key"],),
    )


def earlier_comparison(row: pd.Series, label: str, population: pd.DataFrame) -> Comparison:
    """An earlier wave from its wave estimate; its population only when a sourced figure is
    cited by the same source (the study's own denominator), else None."""
    lo, hi = bounds(row)
    try:
        pop = float(population_at(population, "RUS", row["citation_key"])["value"])
    except NoDenominator:
        pop = None
    return Comparison(
        label=label,
        concept=str(row["concept"]),
        low=lo,
        high=hi,
        start=row["period_start"],
        end=row["period_end"],
        population=pop,
        source_keys=(row["citation_key"],),
    )


def group_comparison(
    waves: pd.DataFrame,
    group: str,
    label: str,
    population: pd.DataFrame,
    grades=("A", "B"),
    concept: str | None = None,
) -> Comparison:
    """An earlier wave from all its A/B-graded estimates of one comparison group: the lowest and
    highest published figure. The period ends only where every estimate gives an end; the
    concept is the estimates' own, joined, unless one wording is given for all of them."""
    rows = waves[(waves["compare_group"].fillna("") == group) & waves["grade"].isin(grades)]
    if rows.empty:
        raise LookupError(f"wave_estimates: no {group} estimate graded {'/'.join(grades)}")
    lows, highs = zip(*(bounds(r) for _, r in rows.iterrows()))
    ends = rows["period_end"]
    pops = []
    for key in rows["citation_key"]:
        try:
            pops.append(float(population_at(population, "RUS", key)["value"]))
        except NoDenominator:
            pass
    return Comparison(
        label=label,
        concept=concept or "; ".join(dict.fromkeys(rows["concept"])),
        low=min(lows),
        high=max(highs),
        start=rows["period_start"].min(),
        end=ends.max() if ends.notna().all() else pd.NaT,
        population=pops[0] if len(set(pops)) == 1 and len(pops) == len(rows) else None,
        source_keys=tuple(dict.fromkeys(rows["citation_key"])),
    )


def comparison_table(rows: list[Comparison]) -> pd.DataFrame:
    """The comparisons as the chapter's table shows them (numbers formatted by the caller)."""
    return pd.DataFrame(
        {
            "Wave": [c.label for c in rows],
            "What is counted": [c.concept for c in rows],
            "Low": [c.low for c in rows],
            "High": [c.high for c in rows],
            "Years": [c.years for c in rows],
            "Per year, low": [c.per_year[0] for c in rows],
            "Per year, high": [c.per_year[1] for c in rows],
            "Share of population, low": [c.share_low for c in rows],
            "Share of population, high": [c.share_high for c in rows],
        }
    )


def returns_range(estimates: pd.DataFrame, grades=("A", "B")) -> dict | None:
    """Lowest and highest published share of leavers who returned, from sources of the given
    grades (tier C figures such as the Russian president's are left out)."""
    r = estimates[(estimates["concept"] == "returns-share") & estimates["grade"].isin(grades)]
    if r.empty:
        return None
    vals = r[["low", "central", "high"]].astype(float)
    return {
        "low": float(vals.min().min()),
        "high": float(vals.max().max()),
        "n": len(r),
        "keys": list(dict.fromkeys(k for ks in r["citation_key"] for k in ks.split(";"))),
    }
