"""Who left, and why: the survey and monitoring figures of ``data/curated/surveys.csv``.

The chapter on scale (its section "Who left, and why") and the conclusion quote these figures
through the helpers here, so each figure is written once, in the table, with its source, its
period as the source gives it, and how the source qualifies it ("about", "more than", "up to").

What the helpers know about the evidence, and tell the reader:

- online panels (OutRush) are convenience samples of emigrants reached through social networks
  and Telegram channels: large, repeated, but not representative of all who left;
- face-to-face surveys (ZOiS) reach migrants in a few host countries only;
- monitoring counts (OVD-Info) count events (detentions, defendants), not people who left;
- asylum statistics record procedures, never the applicant's group or motive, so the groups
  behind a spike of claims are known only from what agencies and NGOs said at the time.
"""

from __future__ import annotations

import pandas as pd

from exile_report.prose import cite, num

#: What each method means for the reader (the sentence the chapter shows with a figure).
METHODS = {
    "online-panel": "an online panel of emigrants recruited through social networks and news "
    "channels; a convenience sample, not representative of all who left",
    "face-to-face": "face-to-face interviews with migrants in a few host countries, not a sample "
    "of all who left",
    "monitoring": "a count of recorded events (detentions, cases), not of people",
    "ngo-count": "a count kept by a non-governmental organisation from its own cases",
    "official-statistics": "official statistics of procedures, which do not record motives",
}
#: Words for how a source qualifies a figure.
BOUND_WORDS = {
    "exact": "",
    "about": "about ",
    "at-least": "at least ",
    "more-than": "more than ",
    "up-to": "up to ",
}
#: Simple fractions a source may give in words ("roughly a third"), for shares.
_FRACTIONS = {1 / 4: "a quarter", 1 / 3: "a third", 1 / 2: "half", 2 / 3: "two thirds"}


class SurveyError(KeyError):
    """A figure id the surveys table does not hold."""


def figure(surveys: pd.DataFrame, figure_id: str) -> pd.Series:
    """One row of the surveys table by its id; a clear error when it is missing."""
    rows = surveys[surveys["figure_id"] == figure_id]
    if rows.empty:
        raise SurveyError(f"data/curated/surveys.csv: no row {figure_id!r}")
    return rows.iloc[0]


def value_text(row: pd.Series) -> str:
    """The figure as the prose writes it, with the source's qualifier: 'about 8%', 'more than
    1,500', 'up to 78%', 'about a third'."""
    unit, v = row["unit"], float(row["value"])
    words = BOUND_WORDS[row["bound"]]
    if unit == "share":
        for frac, name in _FRACTIONS.items():
            if abs(v - frac) < 0.005:
                return f"{words}{name}"
        return f"{words}{num(100 * v)}%"
    if unit in ("percent", "percent-rise"):
        return f"{words}{num(v)}%"
    return f"{words}{num(v)}"


def share_of(row: pd.Series) -> float:
    """The figure as a fraction of 1 (percent rows divided by 100); ValueError for counts."""
    if row["unit"] == "share":
        return float(row["value"])
    if row["unit"] == "percent":
        return float(row["value"]) / 100
    raise ValueError(f"{row['figure_id']}: {row['unit']} is not a share")


def quote(surveys: pd.DataFrame, figure_id: str) -> str:
    """The figure with its citation: 'about 8% [@key]'."""
    row = figure(surveys, figure_id)
    return f"{value_text(row)} {cite(row['citation_key'])}"


def by_topic(surveys: pd.DataFrame, topic: str) -> pd.DataFrame:
    """The rows of one topic in the order of the period they refer to."""
    rows = surveys[surveys["topic"] == topic]
    return rows.sort_values(["period_end", "figure_id"], ignore_index=True)


def disagreements(surveys: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs of figures of one producer that measure the same share with different results:
    the reader must be told, not given one of them silently.

    Two rows disagree when they share producer and ``measure``, are both shares (percent or
    share), their periods overlap and their values differ."""
    shares = surveys[surveys["unit"].isin(["percent", "share"])].copy()
    shares["fraction"] = [share_of(r) for _, r in shares.iterrows()]
    out = []
    for _, grp in shares.groupby(["producer", "measure"], sort=False):
        rows = grp.sort_values("figure_id").to_dict("records")
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                overlap = (
                    a["period_start"] <= b["period_end"] and b["period_start"] <= a["period_end"]
                )
                if overlap and abs(a["fraction"] - b["fraction"]) > 1e-9:
                    out.append((a["figure_id"], b["figure_id"]))
    return out


def evidence_table(surveys: pd.DataFrame, topics: tuple[str, ...]) -> pd.DataFrame:
    """The figures of the chosen topics as the chapter's table shows them, one row each, in the
    order of ``topics`` and then of the period they refer to."""
    order = {t: i for i, t in enumerate(topics)}
    rows = surveys[surveys["topic"].isin(topics)]
    rows = rows.assign(_order=rows["topic"].map(order)).sort_values(
        ["_order", "period_end", "figure_id"]
    )
    return pd.DataFrame(
        {
            "Figure": rows["question"].to_numpy(),
            "Value": [value_text(r) for _, r in rows.iterrows()],
            "Refers to": rows["period_label"].to_numpy(),
            "Producer": rows["producer"].to_numpy(),
            "How obtained": rows["method"].map(_method_short).to_numpy(),
            "Source": rows["citation_key"].map(cite).to_numpy(),
        }
    )


def _method_short(method: str) -> str:
    return {
        "online-panel": "online panel",
        "face-to-face": "face to face",
        "monitoring": "monitoring",
        "ngo-count": "NGO count",
        "official-statistics": "official statistics",
    }[method]


# ---------------------------------------------------------------- asylum claims before 2022


def largest_rise(yearly: pd.DataFrame, before: int, column: str = "new_persons") -> dict | None:
    """The year before ``before`` in which yearly applications rose most over the year before.

    ``yearly`` has ``year`` and ``column`` (chapter 4's :func:`asylum.yearly_applications`).
    Returns the year, its count, the previous year's count and their ratio; None without two
    consecutive years of data."""
    y = yearly[["year", column]].dropna().astype({"year": int})
    y = y[y["year"] < before].sort_values("year")
    y = y.assign(prev=y[column].shift(), prev_year=y["year"].shift())
    y = y[(y["prev_year"] == y["year"] - 1) & (y["prev"] > 0)]
    if y.empty:
        return None
    y = y.assign(rise=y[column].astype(float) - y["prev"].astype(float))
    top = y.loc[y["rise"].idxmax()]
    return {
        "year": int(top["year"]),
        "count": float(top[column]),
        "previous": float(top["prev"]),
        "ratio": float(top[column]) / float(top["prev"]),
    }


def top_destinations(apps: pd.DataFrame, origin: str, year: int, n: int = 2) -> pd.DataFrame:
    """The countries that received the most new applications by persons from ``origin`` in
    ``year`` (UNHCR type N, persons), with their share of that year's total."""
    a = apps[
        (apps["origin_iso3"] == origin)
        & (apps["year"] == year)
        & (apps["app_type"] == "N")
        & (apps["app_pc"] == "P")
    ]
    by = a.groupby(["asylum_iso3", "asylum_name"], as_index=False)["applied"].sum()
    total = by["applied"].sum()
    by = by.sort_values("applied", ascending=False, ignore_index=True).head(n)
    return by.assign(share=by["applied"] / total if total else float("nan"))
