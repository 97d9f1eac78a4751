"""Finding the dates a built book prints about its data, and checking them against the source
register (``data/sources.yml``), the hand-compiled tables and the edition's cut-off.

Used by ``test_printed_dates.py`` on the built HTML pages and on the PDF's text, and on
hand-made pages that show the checks fail on a wrong date. The expected dates are read here from
the register and the data directly, not through :mod:`exile_report.coverage` (whose sentences are
what is being checked).
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
#: A day as the book prints it: "10 July 2026".
DAY = rf"\d{{1,2}} (?:{MONTHS}) \d{{4}}"
_DAY_RE = re.compile(DAY)


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(pd.to_datetime(text, format="%d %B %Y"))


def show(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts:%B %Y}"


# ------------------------------------------------------------------ what the book should print


@dataclass
class Expected:
    """The dates the book may print in each kind of statement."""

    cutoff: pd.Timestamp
    #: a source's short name (its ``label``, else its title before " (") -> its period_end
    sources: dict[str, pd.Timestamp]
    #: a source's full title (the data-sources appendix's headings) -> its period_end
    titles: dict[str, pd.Timestamp]
    #: a hand-compiled table's description -> its latest dated entry
    curated: dict[str, pd.Timestamp]
    #: dates a chapter parameter may set ("as of" a chosen day)
    parameters: set[pd.Timestamp] = field(default_factory=set)

    @property
    def snapshots(self) -> set[pd.Timestamp]:
        """Days a register snapshot, an export or a statistical release ends on, or the cut-off."""
        return {*self.sources.values(), *self.titles.values(), self.cutoff}


def expected(root: Path) -> Expected:
    """Read the cut-off from ``_quarto.yml``, the sources' dates from ``data/sources.yml``, the
    curated tables' latest dates from ``data/curated/`` and the chapters' declared date
    parameters."""
    from exile_report.data import load
    from exile_report.params import chapter_specs
    from exile_report.schemas import TABLES

    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    register = yaml.safe_load((root / "data" / "sources.yml").read_text(encoding="utf-8"))
    sources, titles = {}, {}
    for s in register["sources"]:
        if not s.get("period_end"):
            continue
        until = pd.Timestamp(s["period_end"])
        titles[str(s["title"])] = until
        sources[str(s.get("label") or str(s["title"]).split(" (")[0])] = until
    curated = {}
    for name, spec in TABLES.items():
        if spec.folder != "curated" or not spec.path.is_file():
            continue
        df = load(name)
        dates = [
            df[c].max()
            for c in df.columns
            if pd.api.types.is_datetime64_any_dtype(df[c]) and df[c].notna().any()
        ]
        if dates:
            curated[spec.description] = pd.Timestamp(max(dates))
    parameters = {
        pd.Timestamp(p.default)
        for spec in chapter_specs().values()
        for p in spec.params
        if isinstance(p.default, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.default)
    }
    return Expected(
        cutoff=pd.Timestamp(str(config["edition"]["cutoff"])),
        sources=sources,
        titles=titles,
        curated=curated,
        parameters=parameters,
    )


# ------------------------------------------------------------------ the book's text


def _clean(text: str) -> str:
    """Whitespace collapsed, soft hyphens gone, typographic quotes straight."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u00ad", "")
    text = text.translate(str.maketrans("\u201c\u201d\u2018\u2019", "\"\"''"))
    return re.sub(r"\s+", " ", text)


def html_text(page: str) -> str:
    """The visible text of a page's main content, tags removed, whitespace collapsed."""
    if "<main" in page:
        page = page.split("<main", 1)[1].split("</main>", 1)[0]
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return _clean(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def html_pages(book: Path) -> dict[str, str]:
    """Every HTML page of a built book (``_book/``), by its path relative to the book."""
    return {
        p.relative_to(book).as_posix(): html_text(p.read_text(encoding="utf-8"))
        for p in sorted(book.rglob("*.html"))
        if "_files" not in p.parts[-2]
    }


def pdf_text(pdf: Path) -> str:
    """The PDF's text (poppler's pdftotext), whitespace collapsed, line-end hyphens kept."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return _clean(out)


# ------------------------------------------------------------------ the checks

#: The rules, by name: which printed dates each one checks.
RULES = {
    "coverage": "'… run to <day> for the <source> (…)': the source's period_end",
    "curated": "'… reach(es) <day> (<table>) …, latest dated entries': the table's latest entry",
    "cutoff": "'events to <day>' or '<day>' next to 'cut-off': the edition's cut-off",
    "sources-table": "'<source> (<citation>) <day>' (the appendix's table): the period_end",
    "data-to": "'data to: <day>' under a source's heading: that source's period_end",
    "snapshot": "'export/state/snapshot of <day>', '<day> export', '<n> entries on <day>', "
    "'snapshots of … (<day> and <day>)': a register day or the cut-off",
    "as-of": "'as of <day>': a register day, the cut-off or a date parameter",
}

_COVERAGE_SPAN = re.compile(r"\brun to (.+?)\.(?= (?:The|This)\b|$)")
_COVERAGE_PAIR = re.compile(rf"({DAY}) for the (.+?) ?\(")
_CURATED_SPAN = re.compile(r"\breach(?:es)? (.+?), (?:its|their) latest dated entr")
# a table's description may hold one level of parentheses ("… figures (OutRush, ZOiS) and …")
_CURATED_PAIR = re.compile(rf"({DAY}) \( ?((?:[^()]|\([^()]*\))+?) ?\)(?=,| and |$)")
_CUTOFF = re.compile(rf"\bevents to ({DAY})|({DAY})[,;]? (?:its|the edition's) cut-off")
_DATA_TO = re.compile(rf"\bdata to: ({DAY})")
_SNAPSHOT = [
    re.compile(rf"\b(?:export|state|snapshot|state of play) (?:of|on) ({DAY})"),
    re.compile(rf"\b({DAY}) (?:export|snapshot)\b"),
    re.compile(
        r"\b\d[\d,]* (?:entries|organisations|organizations|names|designations|agents) "
        rf"(?:in (?:its|the) export of |on |at |as of )({DAY})"
    ),
    re.compile(rf"\bsnapshots? of different dates \(({DAY}) and ({DAY})\)"),
]
_AS_OF = re.compile(rf"\bas of ({DAY})")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    #: (page, rule) -> number of dates checked
    checked: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, page: str, rule: str) -> None:
        self.checked[page, rule] = self.checked.get((page, rule), 0) + 1

    def rules_on(self, page: str) -> set[str]:
        return {r for (p, r) in self.checked if p == page}


def _check(report, page, rule, printed: str, want, what: str) -> None:
    report.count(page, rule)
    got = day(printed)
    if isinstance(want, pd.Timestamp):
        if got != want:
            report.problems.append(
                f"{page}: {what} printed as {printed}, but {show(want)} ({RULES[rule]})"
            )
    elif got not in want:
        known = ", ".join(show(d) for d in sorted(want))
        report.problems.append(
            f"{page}: {what} printed as {printed}, not one of {known} ({RULES[rule]})"
        )


def check_dates(pages: dict[str, str], exp: Expected, *, labels: bool = True) -> Report:
    """Check every date of ``pages`` (name -> text) that one of :data:`RULES` recognises.

    ``labels=False`` (the PDF's text, where a source's name may be hyphenated across lines):
    a coverage or appendix date must be one of the sources' dates rather than the named one's.
    """
    report = Report()
    any_source = set(exp.sources.values())
    for page, text in pages.items():
        for span in _COVERAGE_SPAN.finditer(text):
            for m in _COVERAGE_PAIR.finditer(span.group(1)):
                label = m.group(2).strip()
                if not labels:
                    _check(report, page, "coverage", m.group(1), any_source, "a source's date")
                elif label not in exp.sources:
                    report.count(page, "coverage")
                    report.problems.append(
                        f"{page}: '{m.group(1)} for the {label}' names no dated source of "
                        "data/sources.yml"
                    )
                else:
                    want = exp.sources[label]
                    _check(report, page, "coverage", m.group(1), want, f"the date of '{label}'")
        for span in _CURATED_SPAN.finditer(text):
            for m in _CURATED_PAIR.finditer(span.group(1)):
                label = m.group(2).strip()
                if labels and label not in exp.curated:
                    report.count(page, "curated")
                    report.problems.append(
                        f"{page}: '{m.group(1)} ({label})' names no hand-compiled table"
                    )
                    continue
                want = exp.curated[label] if labels else set(exp.curated.values())
                _check(report, page, "curated", m.group(1), want, f"the latest entry of '{label}'")
        for m in _CUTOFF.finditer(text):
            _check(report, page, "cutoff", m.group(1) or m.group(2), exp.cutoff, "the cut-off")
        if labels:
            for label, until in exp.sources.items():
                pattern = rf"{re.escape(label)} \( ?[^()]*\) ({DAY})"
                for m in re.finditer(pattern, text):
                    _check(report, page, "sources-table", m.group(1), until, f"'{label}'")
        titles = [
            (m.start(), title)
            for title in exp.titles
            for m in re.finditer(re.escape(_clean(title)), text)
        ]
        for m in _DATA_TO.finditer(text):
            before = [t for t in titles if t[0] < m.start()]
            if labels and before:
                title = max(before)[1]
                _check(report, page, "data-to", m.group(1), exp.titles[title], f"'{title}'")
            else:
                _check(report, page, "data-to", m.group(1), exp.snapshots, "a source's date")
        for pattern in _SNAPSHOT:
            for m in pattern.finditer(text):
                for printed in (g for g in m.groups() if g):
                    _check(report, page, "snapshot", printed, exp.snapshots, "a snapshot date")
        for m in _AS_OF.finditer(text):
            allowed = exp.snapshots | exp.parameters
            _check(report, page, "as-of", m.group(1), allowed, "an 'as of' date")
    return report


# ------------------------------------------------------------------ the preface and the chapters


def coverage_pairs(text: str) -> dict[str, set[str]]:
    """Source name -> the days a page's coverage statements print for it."""
    out: dict[str, set[str]] = {}
    for span in _COVERAGE_SPAN.finditer(text):
        for m in _COVERAGE_PAIR.finditer(span.group(1)):
            out.setdefault(m.group(2).strip(), set()).add(m.group(1))
    return out


_COUNT_ON_DAY = re.compile(
    r"\b(\d[\d,]*) (?:entries|organisations|organizations|names|designations|agents)\b"
    rf"[^.;]{{0,30}}?\b(?:on|of|at|to) ({DAY})"
)


def count_days(text: str) -> dict[str, set[str]]:
    """A register's count -> the days a page prints it for ('367 organisations on 3 July 2026')."""
    out: dict[str, set[str]] = {}
    for m in _COUNT_ON_DAY.finditer(text):
        out.setdefault(m.group(1), set()).add(m.group(2))
    return out


def agreement_problems(index: str, chapters: dict[str, str]) -> tuple[list[str], int]:
    """Where the preface and a chapter print different days for the same fact: a source's
    coverage date, or the day of a register's count. Returns (problems, facts compared)."""
    problems, compared = [], 0
    mine = coverage_pairs(index)
    for page, text in chapters.items():
        for label, days in coverage_pairs(text).items():
            if label in mine:
                compared += 1
                if days != mine[label]:
                    problems.append(
                        f"'{label}': the preface prints {sorted(mine[label])}, {page} "
                        f"prints {sorted(days)}"
                    )
    counts = count_days(index)
    for count, days in counts.items():
        elsewhere = {
            page: found[count]
            for page, text in chapters.items()
            if count in (found := count_days(text))
        }
        if not elsewhere:
            problems.append(f"the preface's {count} (on {sorted(days)}) is in no chapter")
        for page, other in elsewhere.items():
            compared += 1
            if other != days:
                problems.append(
                    f"the count {count}: the preface dates it {sorted(days)}, {page} "
                    f"{sorted(other)}"
                )
    return problems, compared
