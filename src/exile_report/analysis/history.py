"""Chapter 1, the history of exile: parameters, computations and the chapter's charts.

Everything the chapter says in numbers is computed here from the curated timeline and wave
estimates, the two Ministry of Justice registers and UNHCR's end-year stocks, so the notebook only
loads tables, calls these functions and prints. Functions take data frames (not file names) so the
tests can feed them small hand-made tables with known answers.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

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


#: The waves of exile in chronological order, with the names the chapter uses for them.
WAVES = {
    "tsarist": "Tsarist exile",
    "revolution-white": "Revolution and White emigration",
    "soviet-deportations-dissidents": "Soviet deportations and dissidents",
    "late-soviet-1990s": "Late-Soviet and 1990s emigration",
    "putin-2011-2021": "Putin era, 2011–2021",
    "invasion-2022": "Invasion, 2022",
    "mobilisation-2022": "Mobilisation, Sept 2022",
    "wartime-2023-2025": "Wartime, 2023–2025",
}

CATEGORY_LABELS = {
    "law": "Law",
    "repression": "Repression",
    "expulsion": "Expulsion",
    "emigration-wave": "Emigration wave",
    "exile-institution": "Exile institution",
    "designation": "Designation",
    "war": "War",
}

AGENT_TYPES = {
    "individual": "Individuals",
    "legal-entity": "Legal entities",
    "unregistered-public-association": "Unregistered associations",
    "other-association": "Other associations",
    "foreign-structure": "Foreign structures",
    "unknown": "Type not stated",
}

INVASION = pd.Timestamp("2022-02-24")
#: Snapshot dates of the two registers: ``FOREIGN_AGENTS_SNAPSHOT`` and ``UNDESIRABLE_SNAPSHOT``
#: are the last day covered by the source of ``foreign_agents_events`` and of
#: ``undesirable_designations``, read (on first use) from the source register, data/sources.yml.
_SNAPSHOT_TABLES = {"FOREIGN_AGENTS_SNAPSHOT": "foreign_agents_events",
                    "UNDESIRABLE_SNAPSHOT": "undesirable_designations"}


def __getattr__(name: str):
    if name in _SNAPSHOT_TABLES:
        from ..coverage import table_until

        return table_until(_SNAPSHOT_TABLES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
#: The first year the foreign-agents law existed; register charts never start earlier.
REGISTER_FIRST_YEAR = 2012


def year_fraction(ts: pd.Timestamp) -> float:
    """A date as a fractional year (1 July 2022 -> about 2022.5), for axes that hold years."""
    ts = pd.Timestamp(ts)
    days = 366 if ts.is_leap_year else 365
    return ts.year + (ts.dayofyear - 1) / days


# ------------------------------------------------------------------------------------ timeline


def select_events(timeline: pd.DataFrame, start_year: int, end_year: int,
                  categories) -> pd.DataFrame:
    """Timeline events of the chosen categories that fall in [start_year, end_year].

    An event with an ``end_date`` is kept when its span overlaps the years. Sorted by date, with a
    ``wave_label`` column in the chapter's words.
    """
    tl = timeline.copy()
    first = tl["date"].dt.year
    last = tl["end_date"].fillna(tl["date"]).dt.year if "end_date" in tl else first
    keep = (last >= start_year) & (first <= end_year) & tl["category"].isin(list(categories))
    out = tl[keep].sort_values(["date", "event_id"]).reset_index(drop=True)
    out["wave_label"] = out["wave"].map(WAVES).astype("string")
    return out


def wave_spans(events: pd.DataFrame) -> pd.DataFrame:
    """Per wave, the span its events cover: first date, last date (or end date), event count.

    The bands drawn on the timeline are these spans, so a wave's band is exactly as wide as the
    dated events that document it.
    """
    if events.empty:
        return pd.DataFrame(columns=["wave", "wave_label", "start", "end", "events"])
    ends = events["end_date"].fillna(events["date"]) if "end_date" in events else events["date"]
    df = events.assign(_end=ends)
    spans = df.groupby("wave", sort=False).agg(start=("date", "min"), end=("_end", "max"),
                                               events=("event_id", "count")).reset_index()
    spans["order"] = spans["wave"].map({w: i for i, w in enumerate(WAVES)})
    spans = spans.sort_values("order").drop(columns="order").reset_index(drop=True)
    spans.insert(1, "wave_label", spans["wave"].map(WAVES))
    return spans


def chronology_table(events: pd.DataFrame) -> pd.DataFrame:
    """The events as a short reading table: date (as precise as the source), wave, event, source."""
    def show_date(row) -> str:
        fmt = {"day": "%d %b %Y", "month": "%b %Y", "year": "%Y"}[row["date_precision"]]
        return row["date"].strftime(fmt).lstrip("0")

    def cite(keys) -> str:
        return "[" + "; ".join(f"@{k.strip()}" for k in str(keys).split(";") if k.strip()) + "]"

    return pd.DataFrame({
        "Date": [show_date(r) for _, r in events.iterrows()],
        "Wave": events["wave_label"].to_numpy(),
        "Event": events["title"].to_numpy(),
        "Source": [cite(k) for k in events["citation_key"]],
    })


def events_per_wave(events: pd.DataFrame) -> pd.DataFrame:
    """Number of events per wave and category (the figure's data, in a countable form)."""
    if events.empty:
        return pd.DataFrame(columns=["wave", "category", "events"])
    return (events.groupby(["wave", "category"], sort=False).size().rename("events")
            .reset_index())


def citations(df: pd.DataFrame, column: str = "citation_key") -> str:
    """All citation keys of a table as one pandoc citation ``[@a; @b]`` (unique, in order)."""
    keys: list[str] = []
    for value in df[column].dropna():
        for key in str(value).split(";"):
            key = key.strip()
            if key and key not in keys:
                keys.append(key)
    return "[" + "; ".join(f"@{k}" for k in keys) + "]" if keys else ""


# ------------------------------------------------------------------------------ wave estimates


def select_wave_estimates(we: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """Estimates whose period overlaps [start_year, end_year], in wave order.

    An estimate with no period dates is kept (its wave is what places it); ``low``/``high`` fall
    back to ``central`` so every kept row can be drawn as a range or a point.
    """
    df = we.copy()
    first = df["period_start"].dt.year
    last = df["period_end"].dt.year
    keep = ~((last.notna() & (last < start_year)) | (first.notna() & (first > end_year)))
    df = df[keep].copy()
    df["order"] = df["wave"].map({w: i for i, w in enumerate(WAVES)})
    df = df.sort_values(["order", "period_start", "estimator"], na_position="last")
    df = df.drop(columns="order").reset_index(drop=True)
    df["wave_label"] = df["wave"].map(WAVES).astype("string")
    for col in ("low", "central", "high"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["low_shown"] = df["low"].fillna(df["central"]).fillna(df["high"])
    df["high_shown"] = df["high"].fillna(df["central"]).fillna(df["low"])
    return df


#: Waves whose every estimate covers months, not years: a short period is their nature.
SHORT_WAVES = ("invasion-2022", "mobilisation-2022")


def size_estimates(est: pd.DataFrame) -> pd.DataFrame:
    """The estimates of a wave's *total* size: counted in persons, over more than one year.

    Counts for a single year or a few months before 2022 (a peak year, one evacuation, one
    deportation) measure a moment of a wave, not the wave; they stay in the table's CSV but are
    not set against totals. The 2022 waves are exempt: all their estimates cover months.
    """
    span = (est["period_end"] - est["period_start"]).dt.days
    whole = est["period_end"].isna() | (span > 366) | est["wave"].isin(SHORT_WAVES)
    return est[(est["unit"] == "persons") & whole].reset_index(drop=True)


def dossier_group(est: pd.DataFrame, group: str) -> pd.DataFrame:
    """Estimates the dossier compared with each other (its wave-size rows W1…W8, named in `note`)."""
    pattern = rf"\b{group}\b"
    return est[est["note"].fillna("").str.contains(pattern, regex=True)]


def spread(est: pd.DataFrame) -> dict | None:
    """Lowest and highest published figure of a set of estimates, their ratio and sources."""
    if est.empty:
        return None
    lo, hi = float(est["low_shown"].min()), float(est["high_shown"].max())
    return {"low": lo, "high": hi, "ratio": hi / lo if lo else float("nan"), "n": len(est),
            "cite": citations(est)}


def _short(text: str, n: int = 52) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def wave_estimates_table(est: pd.DataFrame) -> pd.DataFrame:
    """The estimates as a page table: wave (named once per group), what is counted, low, high,
    source. Five columns so that the long descriptions of what is counted fit the PDF page;
    periods and grades are in the figure's CSV."""
    waves = est["wave_label"].astype(str)
    return pd.DataFrame({
        "Wave": waves.where(waves != waves.shift(), "").to_numpy(),
        "What is counted": est["concept"].to_numpy(),
        "Low": est["low_shown"].to_numpy(),
        "High": est["high_shown"].to_numpy(),
        "Source": [cite_keys(v) for v in est["citation_key"]],
    })


# ----------------------------------------------------------------- registers (the machinery)


def register_years(start_year: int, end_year: int, last: pd.Timestamp) -> list[int]:
    """The years the register charts cover: the chosen range, clipped to 2012 and the snapshot."""
    lo = max(start_year, REGISTER_FIRST_YEAR)
    hi = min(end_year, last.year)
    return list(range(lo, hi + 1))


def register_by_year(fa: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Foreign-agents register: designations per year and agent type, removals, and the total.

    One row per year in ``years`` (zeros where nothing happened), columns: ``year``, one column per
    agent type present in the data (designations), ``designations``, ``removals``.
    """
    df = fa.assign(year=fa["date"].dt.year, count=fa["count"].astype("int64"))
    des = df[df["event"] == "designation"]
    types = [t for t in AGENT_TYPES if t in set(des["agent_type"])]
    wide = (des.pivot_table(index="year", columns="agent_type", values="count", aggfunc="sum",
                            fill_value=0)
            .reindex(index=years, columns=types, fill_value=0).fillna(0).astype("int64"))
    wide.columns.name = None
    wide["designations"] = wide[types].sum(axis=1) if types else 0
    rem = df[df["event"] == "removal"].groupby("year")["count"].sum()
    wide["removals"] = rem.reindex(years, fill_value=0).astype("int64")
    return wide.rename_axis("year").reset_index()


def register_summary(fa: pd.DataFrame, cutoff: pd.Timestamp = INVASION) -> dict:
    """Totals of the foreign-agents register: entries, removals, still listed, share after cutoff.

    ``share_after`` is entries designated on or after ``cutoff`` divided by all entries ever
    designated (the denominator is every entry in the export, removed ones included).
    """
    des = fa[fa["event"] == "designation"]
    rem = fa[fa["event"] == "removal"]
    total = int(des["count"].sum())
    after = int(des.loc[des["date"] >= cutoff, "count"].sum())
    removed = int(rem["count"].sum())
    by_year = des.groupby(des["date"].dt.year)["count"].sum()
    return {
        "total": total,
        "after": after,
        "before": total - after,
        "share_after": after / total if total else float("nan"),
        "removed": removed,
        "listed": total - removed,
        "first": des["date"].min(),
        "last": fa["date"].max(),
        "peak_year": int(by_year.idxmax()) if len(by_year) else None,
        "peak_count": int(by_year.max()) if len(by_year) else 0,
    }


def register_by_type(fa: pd.DataFrame, cutoff: pd.Timestamp = INVASION) -> pd.DataFrame:
    """Per agent type: entries designated, how many since the cutoff (and share), removals."""
    des = fa[fa["event"] == "designation"]
    rem = fa[fa["event"] == "removal"]
    total = des.groupby("agent_type")["count"].sum()
    after = des[des["date"] >= cutoff].groupby("agent_type")["count"].sum()
    removed = rem.groupby("agent_type")["count"].sum()
    types = [t for t in AGENT_TYPES if t in total.index]
    out = pd.DataFrame({
        "Type": [AGENT_TYPES[t] for t in types],
        "Entries": total.reindex(types).astype("int64").to_numpy(),
        "Since invasion": after.reindex(types, fill_value=0).astype("int64").to_numpy(),
        "Removed": removed.reindex(types, fill_value=0).astype("int64").to_numpy(),
    })
    out["Share since invasion"] = out["Since invasion"] / out["Entries"]
    out["Still listed"] = out["Entries"] - out["Removed"]
    out = out.sort_values("Entries", ascending=False).reset_index(drop=True)
    totals = {"Type": "All types", "Entries": int(out["Entries"].sum()),
              "Since invasion": int(out["Since invasion"].sum()),
              "Removed": int(out["Removed"].sum()),
              "Still listed": int(out["Still listed"].sum())}
    totals["Share since invasion"] = totals["Since invasion"] / totals["Entries"]
    out = pd.concat([out, pd.DataFrame([totals])], ignore_index=True)
    return out[["Type", "Entries", "Since invasion", "Share since invasion", "Removed",
                "Still listed"]]


def undesirable_by_year(ud: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Inclusions in the list of "undesirable" organisations per year (zeros where none)."""
    per = ud.assign(year=ud["date"].dt.year).groupby("year")["count"].sum()
    return pd.DataFrame({"year": years,
                         "designations": per.reindex(years, fill_value=0).astype("int64").to_numpy()})


def undesirable_summary(ud: pd.DataFrame, cutoff: pd.Timestamp = INVASION) -> dict:
    """Totals of the undesirable list: organisations, share since cutoff, most frequent country."""
    total = int(ud["count"].sum())
    after = int(ud.loc[ud["date"] >= cutoff, "count"].sum())
    countries = ud.dropna(subset=["org_country_iso3"]).groupby("org_country_iso3")["count"].sum()
    countries = countries.sort_values(ascending=False, kind="stable")
    return {
        "total": total,
        "after": after,
        "share_after": after / total if total else float("nan"),
        "first": ud["date"].min(),
        "last": ud["date"].max(),
        "top_country": countries.index[0] if len(countries) else None,
        "top_country_count": int(countries.iloc[0]) if len(countries) else 0,
        "country_known": int(countries.sum()),
    }


#: What makes a law of the timeline a step of the registers' machinery: the foreign-agent and
#: undesirable-organisation laws and their extensions, and the wartime speech ("fakes") laws.
MACHINERY_PATTERN = r"foreign.agent|undesirable|fakes|censorship"


def legal_steps(timeline: pd.DataFrame, years: list[int],
                until: pd.Timestamp | None = None) -> pd.DataFrame:
    """The laws of the timeline that built the registers' machinery, dated within ``years``
    (and not after ``until``, the last date the register data cover), to mark on the charts."""
    if not years:
        return timeline.iloc[0:0]
    text = timeline["title"].fillna("") + " " + timeline["description"].fillna("")
    laws = timeline[(timeline["category"] == "law")
                    & text.str.contains(MACHINERY_PATTERN, case=False, regex=True)
                    & timeline["date"].dt.year.between(years[0], years[-1])]
    if until is not None:
        laws = laws[laws["date"] <= until]
    return laws.sort_values("date").reset_index(drop=True)


# ------------------------------------------------------------------------------------- UNHCR


def unhcr_series(pop: pd.DataFrame, start_year: int, end_year: int,
                 origin: str = "RUS") -> pd.DataFrame:
    """End-year stocks of refugees and asylum-seekers of one origin, for the years the data has.

    ``total`` adds refugees and asylum-seekers: both are people (a stock at 31 December), one
    recognised and one awaiting a decision, so the sum is the people in UNHCR's count.
    """
    df = pop[(pop["origin_iso3"] == origin) & pop["year"].between(start_year, end_year)]
    out = df[["year", "refugees", "asylum_seekers"]].copy()
    out["year"] = out["year"].astype("int64")
    out["refugees"] = out["refugees"].fillna(0).astype("int64")
    out["asylum_seekers"] = out["asylum_seekers"].fillna(0).astype("int64")
    out["total"] = out["refugees"] + out["asylum_seekers"]
    return out.sort_values("year").reset_index(drop=True)


def missing_years(series: pd.DataFrame) -> list[int]:
    """Years inside the series' span for which the data has no row (gaps, not zeros)."""
    if series.empty:
        return []
    have = set(series["year"])
    return [y for y in range(int(series["year"].min()), int(series["year"].max()) + 1)
            if y not in have]


def change(series: pd.DataFrame, year_a: int, year_b: int, column: str = "total") -> dict | None:
    """Value in two years and the ratio b / a; None when either year is missing."""
    s = series.set_index("year")[column]
    if year_a not in s.index or year_b not in s.index or s[year_a] == 0:
        return None
    return {"a": int(s[year_a]), "b": int(s[year_b]), "ratio": float(s[year_b] / s[year_a])}


def fmt_int(n) -> str:
    """12,345 (the report's thousands separator)."""
    return f"{int(n):,}"


def fmt_pct(x: float) -> str:
    """0.731 -> '73%'."""
    return "–" if x is None or np.isnan(x) else f"{100 * x:.0f}%"


# ------------------------------------------------------------------------------------ charts
# The chapter's figures are drawn here (not in the notebook) so the notebook stays thin and the
# drawing code is importable and testable; each function returns the matplotlib figure.

#: Marker per event category: colour and shape both differ, so print in grey still separates them.
CATEGORY_STYLE = {
    "expulsion": ("#D55E00", "v"),
    "emigration-wave": ("#0072B2", "o"),
    "law": ("#009E73", "s"),
    "repression": ("#000000", "X"),
    "war": ("#CC79A7", "D"),
    "exile-institution": ("#E69F00", "^"),
    "designation": ("#56B4E9", "P"),
}
#: Which events get a text label first when space is short (the rest keep their marker).
LABEL_PRIORITY = ("expulsion", "war", "emigration-wave", "law", "repression", "designation",
                  "exile-institution")
TIMELINE_SPLITS = (1991, 2022)
_BAND = "#ececec"
_INK = "#333333"


def timeline_ranges(start_year: int, end_year: int, splits=TIMELINE_SPLITS) -> list[tuple]:
    """Year ranges of the timeline's stacked panels: [start, end] cut at each split year inside it.

    Two centuries on one axis squeeze the dense recent years into a sliver; cutting at 1991 and
    2022 gives the post-Soviet decades and the war years each a full-width panel of their own.
    """
    cuts = [s for s in splits if start_year < s <= end_year]
    edges = [start_year, *cuts, end_year + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(len(edges) - 1)]


@lru_cache(maxsize=4096)
def _text_points(text: str, fontsize: float, weight: str) -> float:
    """Width of a text in points, from the house font's glyph advances (cached: it is slow)."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties, get_font

    prop = FontProperties(family="DejaVu Sans", weight=weight)
    font = get_font(font_manager.findfont(prop))
    font.set_size(fontsize, 72)
    font.set_text(text, 0.0)
    return font.get_width_height()[0] / 64.0


def _text_width_years(text: str, fontsize: float, years_per_inch: float,
                      weight: str = "normal") -> float:
    """Width of a label in axis years, measured on the glyphs of the house font."""
    return _text_points(text, fontsize, weight) / 72 * years_per_inch


def choose_labels(xs: list[float], texts: list[str], priorities: list[int], width_of,
                  rows: int = 2, gap: float = 0.0,
                  bounds: tuple[float, float] | None = None) -> dict[int, tuple[int, float]]:
    """Greedy, sparse labelling: index -> (row, centre x) for the labels that fit.

    Labels are tried in priority order; each is centred on its x (pushed inside ``bounds`` when it
    would stick out) and placed in the first row where it overlaps no label already placed.
    Labels that fit nowhere are left out (their marker stays), which keeps dense stretches readable.
    """
    placed: dict[int, list[tuple[float, float]]] = {r: [] for r in range(rows)}
    chosen: dict[int, tuple[int, float]] = {}
    for i in sorted(range(len(xs)), key=lambda k: (priorities[k], xs[k])):
        half = width_of(texts[i]) / 2
        centre = xs[i]
        if bounds is not None:
            centre = min(max(centre, bounds[0] + half), bounds[1] - half)
        lo, hi = centre - half - gap, centre + half + gap
        for r in range(rows):
            if all(hi <= a or lo >= b for a, b in placed[r]):
                placed[r].append((lo, hi))
                chosen[i] = (r, centre)
                break
    return chosen


def plot_timeline(events: pd.DataFrame, start_year: int, end_year: int):
    """Waves as grey bands, events as category markers, sparse labels; one panel per era."""
    from matplotlib.lines import Line2D

    from ..plotting import new_figure

    ranges = timeline_ranges(start_year, end_year)
    x_all = events["date"].map(year_fraction)
    x_end_all = events["end_date"].fillna(events["date"]).map(year_fraction)
    lanes_per_panel = []
    for lo, hi in ranges:
        inside = (x_end_all >= lo) & (x_all < hi + 1)
        waves = [w for w in WAVES if w in set(events.loc[inside, "wave"])]
        lanes_per_panel.append(waves)
    heights = [max(len(w), 1) * 0.74 + 0.4 for w in lanes_per_panel]
    fig, axes = new_figure(height=sum(heights) + 0.75, nrows=len(ranges),
                           gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    spans = wave_spans(events).set_index("wave")
    for ax, (lo, hi), waves in zip(axes, ranges, lanes_per_panel):
        right = hi + 1
        pad = (right - lo) * 0.01
        ax.set_xlim(lo - pad, right + pad)
        ax.grid(False)
        ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.5)
        ax.spines["left"].set_visible(False)
        ax.set_yticks([])
        n = len(waves)
        ax.set_ylim(-0.75, max(n, 1) - 0.2)
        width_in = 6.4
        years_per_inch = (right - lo + 2 * pad) / width_in
        if right - lo <= 6:  # the war years: months matter, show each year
            ax.set_xticks(range(lo, right + 1))
        for lane, wave in enumerate(waves):
            y = n - 1 - lane
            s = spans.loc[wave]
            a = max(year_fraction(s["start"]), lo - pad)
            b = min(year_fraction(s["end"]), right + pad)
            ax.fill_between([a, max(b, a + 0.004 * (right - lo))], y - 0.13, y + 0.13,
                            color=_BAND, linewidth=0, zorder=1)
            name_w = _text_width_years(WAVES[wave], 8, years_per_inch, weight="bold")
            ax.text(min(max(a, lo - pad), right + pad - name_w), y + 0.2, WAVES[wave],
                    fontsize=8, fontweight="bold", color=_INK, va="bottom", ha="left", zorder=4)
            ev = events[(events["wave"] == wave)]
            ev = ev[(ev["end_date"].fillna(ev["date"]).map(year_fraction) >= lo)
                    & (ev["date"].map(year_fraction) < right)]
            xs = [year_fraction(d) for d in ev["date"]]
            for (_, row), x in zip(ev.iterrows(), xs):
                color, marker = CATEGORY_STYLE[row["category"]]
                if pd.notna(row["end_date"]) and row["end_date"] > row["date"]:
                    ax.plot([x, min(year_fraction(row["end_date"]), right)], [y, y], color=color,
                            linewidth=2.2, solid_capstyle="butt", zorder=2, alpha=0.7)
                ax.plot([x], [y], marker=marker, color=color, markersize=6.5, linestyle="none",
                        markeredgecolor="white", markeredgewidth=0.6, zorder=3)
            texts = list(ev["title"])
            prio = [LABEL_PRIORITY.index(c) for c in ev["category"]]
            chosen = choose_labels(xs, texts, prio,
                                   lambda t, ypi=years_per_inch: _text_width_years(t, 7, ypi),
                                   rows=2, gap=0.1 * years_per_inch,
                                   bounds=(lo - pad, right + pad))
            for i, (row_no, x) in chosen.items():
                ax.text(x, y - 0.2 - 0.25 * row_no, texts[i], fontsize=7, color=_INK,
                        ha="center", va="top", zorder=4)
        if n == 0:
            ax.text(0.5, 0.5, "No events of the chosen categories in these years",
                    transform=ax.transAxes, ha="center", va="center", color="#6b6b6b")
    handles = [Line2D([], [], marker=m, color=c, linestyle="none", markersize=6.5,
                      markeredgecolor="white", label=CATEGORY_LABELS[k])
               for k, (c, m) in CATEGORY_STYLE.items() if k in set(events["category"])]
    if handles:
        fig.legend(handles=handles, loc="outside upper center", ncol=min(len(handles), 4),
                   fontsize=8, handletextpad=0.2, columnspacing=1.0)
    return fig


def _legal_strip(ax, steps: pd.DataFrame, x0: float, x1: float, years_per_inch: float):
    """Legal steps as short labels in staggered rows above the charts, with their dates."""
    ax.set_xlim(x0, x1)
    ax.axis("off")
    # Bars are centred on their year, so a date inside year Y sits in [Y - 0.5, Y + 0.5).
    xs = [year_fraction(d) - 0.5 for d in steps["date"]]
    texts = [f"{t} ({d:%b %Y})" for t, d in zip(steps["title"], steps["date"])]
    chosen = choose_labels(xs, texts, [0] * len(xs),
                           lambda t: _text_width_years(t, 7, years_per_inch), rows=6,
                           gap=0.12 * years_per_inch, bounds=(x0, x1))
    rows = max((r for r, _x in chosen.values()), default=0) + 1
    ax.set_ylim(-0.2, rows)
    for i, (row_no, x_text) in chosen.items():
        y = rows - 1 - row_no
        ax.text(x_text, y + 0.15, texts[i], fontsize=7, color=_INK, ha="center", va="bottom")
        ax.plot([xs[i], xs[i]], [-0.2, y + 0.12], color="#6b6b6b", linewidth=0.7,
                linestyle=(0, (2, 2)))
    return rows


def plot_machinery(reg: pd.DataFrame, und: pd.DataFrame, steps: pd.DataFrame,
                   fa_last: pd.Timestamp, ud_last: pd.Timestamp):
    """Foreign-agent designations by type (removals below zero) and undesirable designations per
    year, sharing one year axis, with the legal steps marked above and through both charts."""
    from ..plotting import GREY, new_figure, thousands

    years = list(reg["year"])
    x0, x1 = years[0] - 0.6, years[-1] + 0.6
    years_per_inch = (x1 - x0) / 6.2
    n_steps = len(steps)
    strip = 0.45 + 0.2 * min(n_steps, 6) if n_steps else 0.01
    fig, (ax_s, ax_f, ax_u) = new_figure(
        height=2.9 + 1.8 + strip + 0.5, nrows=3, sharex=False,
        gridspec_kw={"height_ratios": [strip, 2.9, 1.8]})
    if n_steps:
        _legal_strip(ax_s, steps, x0, x1, years_per_inch)
    else:
        ax_s.axis("off")
    types = [t for t in AGENT_TYPES if t in reg.columns]
    colors = dict(zip(AGENT_TYPES, ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                                    "#6b6b6b"]))
    bottom = np.zeros(len(years))
    for t in types:
        vals = reg[t].to_numpy(dtype=float)
        if vals.sum() == 0:
            continue
        ax_f.bar(years, vals, bottom=bottom, color=colors[t], width=0.75, label=AGENT_TYPES[t],
                 zorder=2)
        bottom += vals
    ax_f.bar(years, -reg["removals"].to_numpy(dtype=float), color="#bdbdbd", width=0.75,
             label="Removals (below zero)", zorder=2)
    ax_f.axhline(0, color=_INK, linewidth=0.8)
    ax_f.set_ylabel("Register entries per year")
    ax_f.yaxis.set_major_formatter(lambda v, _p: thousands(abs(v)))
    ax_f.legend(loc="upper left", ncol=2, fontsize=7.5)
    ax_f.set_title(f"Foreign agents: designations by type, and removals "
                   f"(register export of {fa_last:%-d %b %Y})", fontsize=9)
    ax_u.bar(und["year"], und["designations"].to_numpy(dtype=float), color="#D55E00", width=0.75,
             zorder=2)
    ax_u.set_ylabel("Organisations per year")
    ax_u.set_title(f"“Undesirable” organisations: designations (list as of {ud_last:%-d %b %Y})",
                   fontsize=9)
    for ax in (ax_f, ax_u):
        ax.set_xlim(x0, x1)
        ax.set_xticks(years)
        ax.tick_params(axis="x", labelsize=7.5)
        for x in (year_fraction(d) - 0.5 for d in steps["date"]):
            ax.axvline(x, color=GREY, linewidth=0.7, linestyle=(0, (2, 2)), zorder=1)
    for ax, last in ((ax_f, fa_last), (ax_u, ud_last)):
        if last.year < years[-1]:
            ax.axvspan(last.year + 0.5, x1, color="#f2f2f2", zorder=0, linewidth=0)
            ax.text((last.year + 0.5 + x1) / 2, 0.5, "not in\nthe data", fontsize=7,
                    color=GREY, ha="center", va="center", transform=ax.get_xaxis_transform())
    ax_u.set_xlabel("Year of the Ministry's decision")
    return fig


def plot_wave_estimates(est: pd.DataFrame):
    """Each published estimate as a low–high range (a dot when only one figure), grouped by wave,
    coloured by the dossier's confidence grade, on a log scale: waves differ by orders of
    magnitude."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator

    from ..plotting import new_figure

    n = len(est)
    fig, ax = new_figure(height=0.17 * n + 1.3)
    ax.grid(False)
    ax.grid(True, axis="x", which="major", color="#e4e4e4", linewidth=0.6)
    ticks, labels = [], []
    wave_rows: dict[str, list[int]] = {}
    for i, (_, r) in enumerate(est.iterrows()):
        y = n - 1 - i
        wave_rows.setdefault(r["wave"], []).append(y)
        lo, hi = r["low_shown"], r["high_shown"]
        color = GRADE_COLORS.get(r["grade"], "#6b6b6b")
        if hi > lo:
            ax.plot([lo, hi], [y, y], color=color, linewidth=3.5, solid_capstyle="round", zorder=2)
        else:
            ax.plot([lo], [y], marker="o", color=color, markersize=5, zorder=2)
        if pd.notna(r["central"]) and hi > lo:
            ax.plot([r["central"]], [y], marker="|", color="black", markersize=8, zorder=3)
        ticks.append(y)
        labels.append(_short(str(r["concept"])))
    for i, (wave, ys) in enumerate(wave_rows.items()):
        if i % 2 == 0:
            ax.axhspan(min(ys) - 0.5, max(ys) + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
        ax.text(1.01, (min(ys) + max(ys)) / 2, WAVES[wave].replace(", ", ",\n", 1)
                .replace(" and ", " and\n", 1), transform=ax.get_yaxis_transform(),
                fontsize=7.5, fontweight="bold", va="center", ha="left", color=_INK)
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(FuncFormatter(_short_number))
    ax.set_xlabel("Persons (log scale)")
    handles = [Line2D([], [], color=c, linewidth=3.5, label=f"grade {g}")
               for g, c in GRADE_COLORS.items() if g in set(est["grade"])]
    handles += [Line2D([], [], color="#6b6b6b", marker="o", linestyle="none",
                       label="single figure"),
                Line2D([], [], color="black", marker="|", linestyle="none", markersize=8,
                       label="central figure")]
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), fontsize=7.5)
    return fig


#: Confidence grades of the dossier: A primary, B reputable secondary, C weak copy.
GRADE_COLORS = {"A": "#0072B2", "B": "#E69F00", "C": "#999999"}


def _short_number(v, _pos=None) -> str:
    """1,000 -> '1k', 2,000,000 -> '2M' (log-axis ticks)."""
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def plot_unhcr(series: pd.DataFrame):
    """Refugees and asylum-seekers of Russian origin at each year's end, stacked, with the
    invasion marked."""
    from ..plotting import mark_dates, new_figure, thousands

    fig, ax = new_figure(height=3.8)
    ax.bar(series["year"], series["refugees"], width=0.8, color="#0072B2", label="Refugees",
           zorder=2)
    ax.bar(series["year"], series["asylum_seekers"], bottom=series["refugees"], width=0.8,
           color="#E69F00", label="Asylum-seekers (pending cases)", zorder=2)
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylim(0, float(series["total"].max()) * 1.1 or 1)  # room above the tallest bar
    ax.set_ylabel("People at year end")
    ax.set_xlabel("Year")
    if series["year"].min() <= 2022 <= series["year"].max():
        mark_dates(ax, ("invasion",), as_year=True)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 1.0))
    return fig


# ------------------------------------------------------------------------- prose helpers


def cite_keys(keys) -> str:
    """``a;b`` -> ``[@a; @b]`` (a pandoc citation)."""
    return "[" + "; ".join(f"@{k.strip()}" for k in str(keys).split(";") if k.strip()) + "]"


def show_date(date: pd.Timestamp, precision: str) -> str:
    """A date as precise as the source gives it: '13 February 1974', 'June 1972', '1831'."""
    fmt = {"day": "%d %B %Y", "month": "%B %Y", "year": "%Y"}[precision]
    return date.strftime(fmt).lstrip("0")


def event(timeline: pd.DataFrame, event_id: str) -> dict:
    """One timeline event for the prose: its date as precise as sourced, year, title, citation."""
    rows = timeline[timeline["event_id"] == event_id]
    if rows.empty:
        raise KeyError(f"timeline has no event {event_id}")
    r = rows.iloc[0]
    return {"date": show_date(r["date"], r["date_precision"]), "year": int(r["date"].year),
            "title": r["title"], "cite": cite_keys(r["citation_key"]), "wave": r["wave"]}


def top_host(population: pd.DataFrame, year: int, origin: str = "RUS") -> dict:
    """The country of asylum holding most refugees and asylum-seekers of ``origin`` in ``year``,
    with its number and its share of all (the denominator is every country of asylum)."""
    df = population[(population["origin_iso3"] == origin) & (population["year"] == year)]
    total = df["refugees"].fillna(0) + df["asylum_seekers"].fillna(0)
    if total.sum() == 0:
        return {"name": None, "total": 0, "share": float("nan")}
    i = total.astype("int64").idxmax()
    return {"name": str(df.loc[i, "asylum_name"]), "total": int(total[i]),
            "share": float(total[i] / total.sum())}
