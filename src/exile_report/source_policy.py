"""The source policy (``research/source-policy.md``) as code: what the book may cite.

Every cited address has a tier, read from ``data/source_tiers.csv`` by its domain:

- A: the producer of the fact (statistics offices, courts, research institutes, ...);
- B: established news organisations, legal databases, NGOs with research output;
- C: state media of a party to the war, small regional outlets, Wikipedia: never alone;
- X: mirrors, scrapers, content farms, pirated copies, extremist wikis: never cited.

:func:`policy_problems` lists every breach: a tier-X entry, a domain without a tier, one address
under two keys, an entry without a date that does not say why, and a row of a table the book
shows whose figure, date or quotation rests on tier C alone without saying, in the reader's
text, that it is unverified (or what the Russian state says). :func:`tier_counts` is what
``exile-report check`` prints.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from exile_report import paths
from exile_report.data import Problem, _rel

TIERS_CSV = paths.DATA / "source_tiers.csv"
TIERS = ("A", "B", "C", "X")
#: Prefix of the pseudo-address of a work cited without a web address; its tier is that of
#: its venue (journal, newspaper, publisher), listed in source_tiers.csv as 'publication:<venue>'.
PUBLICATION = "publication:"
#: Words in a row's reader-facing text that tell the reader a tier-C figure is not confirmed
#: (rule 7) or is what the Russian state says (tier C's one licit use alone).
UNVERIFIED = re.compile(r"\bunverified\b|\bthe Russian state says\b", re.IGNORECASE)
#: Words in an entry's note that say why it has no date (rule 6).
UNDATED = re.compile(r"\b(undated|no (publication )?date|not dated)\b", re.IGNORECASE)
#: Per table the book shows: each column of citation keys, with the reader-facing text that must
#: say "Unverified" (or "the Russian state says") when the claim rests on tier C alone.
CITED_TABLES = {
    "estimates": (("citation_key", "note"),),
    "wave_estimates": (("citation_key", "note"),),
    "timeline": (("citation_key", "description"),),
    "policies": (("citation_key", "summary"),),
    "legal": (("citation_key", "relevance"),),
    "conflicts": (("source_a", "claim_a"), ("source_b", "claim_b")),
    "surveys": (("citation_key", "note"),),
    "population": (("citation_key", "note"),),
}
PROCESSED_CITED = {"press_figures": (("citation_key", "note"),)}


@dataclass
class Entry:
    """One bibliography entry: its key, type and fields (braces stripped)."""

    key: str
    kind: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str | None:
        """The entry's address: its url, else its DOI as a doi.org address, else its ISBN, else
        (a book, paper or newspaper article cited as printed) 'publication:<venue>|<title>'."""
        if self.fields.get("url"):
            return self.fields["url"]
        if self.fields.get("doi"):
            return "https://doi.org/" + self.fields["doi"]
        if self.fields.get("isbn"):
            return "isbn:" + re.sub(r"[^0-9X]", "", self.fields["isbn"].upper())
        venue = (
            self.fields.get("journaltitle")
            or self.fields.get("publisher")
            or self.fields.get("institution")
        )
        if venue:  # a printed work cited as itself (rule 3): its venue decides its tier
            return f"{PUBLICATION}{venue}|{self.fields.get('title', self.key)}"
        return None

    @property
    def dated(self) -> bool:
        return bool(self.fields.get("date") or self.fields.get("year"))


def _strip_braces(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()


def parse_bib(text: str) -> list[Entry]:
    """Entries of a BibTeX/BibLaTeX file (fields delimited by braces, as in references.bib)."""
    entries = []
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        i, depth, body_start = m.end(), 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[body_start : i - 1]
        fields, j = {}, 0
        for fm in re.finditer(r"(\w+)\s*=\s*\{", body):
            if fm.start() < j:
                continue
            k, depth = fm.end(), 1
            while k < len(body) and depth:
                depth += {"{": 1, "}": -1}.get(body[k], 0)
                k += 1
            fields[fm.group(1).lower()] = _strip_braces(body[fm.end() : k - 1])
            j = k
        entries.append(Entry(m.group(2), m.group(1).lower(), fields))
    return entries


def normalise_address(address: str) -> str:
    """The form under which two addresses are the same page: no scheme, no 'www.', no 'amp'
    path segment or '/amp' ending, no trailing slash, no fragment, host in lower case."""
    if address.startswith(("isbn:", PUBLICATION)):
        return address
    parts = urlsplit(address.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    host = (
        host.removeprefix("www.").removeprefix("m.")
        if host.count(".") > 1
        else host.removeprefix("www.")
    )
    path = re.sub(r"/amp(?=/|$)", "", parts.path).rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def domain_of(address: str) -> str:
    """'https://www.news.err.ee/x' -> 'news.err.ee'; 'isbn:…' -> 'isbn';
    'publication:Reuters|title' -> 'publication:Reuters'."""
    if address.startswith("isbn:"):
        return "isbn"
    if address.startswith(PUBLICATION):
        return address.split("|", 1)[0]
    host = (urlsplit(address.strip()).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


@lru_cache(maxsize=4)
def _tiers(path: str, _mtime: int) -> dict[str, tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["domain"]: (r["tier"], r["reason"]) for r in csv.DictReader(fh)}


def load_tiers(path: Path = TIERS_CSV) -> dict[str, tuple[str, str]]:
    """domain -> (tier, reason), from data/source_tiers.csv."""
    return _tiers(str(path), path.stat().st_mtime_ns)


def tier_of(address: str | None, tiers: dict[str, tuple[str, str]]) -> str | None:
    """The tier of an address: its host, else the nearest parent domain listed; None if unknown."""
    if not address:
        return None
    host = domain_of(address)
    if host.startswith(PUBLICATION):
        return tiers.get(host, (None,))[0]
    labels = host.split(".")
    for i in range(len(labels) - 1):
        hit = tiers.get(".".join(labels[i:]))
        if hit:
            return hit[0]
    return tiers.get(host, (None,))[0]


def entry_tiers(entries: list[Entry], tiers: dict[str, tuple[str, str]]) -> dict[str, str | None]:
    return {e.key: tier_of(e.address, tiers) for e in entries}


def bibliography_problems(
    entries: list[Entry], tiers: dict[str, tuple[str, str]], where: str = "references.bib"
) -> list[Problem]:
    """Rules 1, 5, 6 and 8 on the bibliography itself."""
    problems = []
    by_address: dict[str, list[str]] = {}
    for e in entries:
        addr = e.address
        if not addr:
            problems.append(
                Problem(where, None, None, f"{e.key}: no address or identifier (url, doi, isbn)")
            )
            continue
        by_address.setdefault(normalise_address(addr), []).append(e.key)
        tier = tier_of(addr, tiers)
        if tier is None:
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f"{e.key}: domain {domain_of(addr)!r} has no tier in data/source_tiers.csv",
                )
            )
        elif tier == "X":
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f"{e.key}: tier X source ({domain_of(addr)}), never cited (rule 1)",
                )
            )
        if not e.dated and not UNDATED.search(e.fields.get("note", "")):
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f"{e.key}: no date, and the note does not say the page has none (rule 6)",
                )
            )
    dates = {e.key: e.fields.get("date", "") for e in entries}
    for addr, keys in sorted(by_address.items()):
        if len(keys) > 1 and not dated_states(keys, dates):
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f"{', '.join(keys)}: one address under {len(keys)} keys: {addr} (rule 5)",
                )
            )
    return problems


def dated_states(keys: list[str], dates: dict[str, str]) -> bool:
    """True when the keys are dated states of one register or dataset page (a list, a table the
    producer re-issues at the same address), each the citation of its own raw snapshot in
    ``data/sources.yml`` and each with its own date: different documents, which rule 5 does not
    merge (the reader must see which state a figure comes from)."""
    from exile_report.sources import load_register

    snapshot_keys = {k for s in load_register() for k in _split(s.get("citation_key", ""))}
    own_dates = [dates.get(k, "") for k in keys]
    return set(keys) <= snapshot_keys and all(own_dates) and len(set(own_dates)) == len(keys)


def _split(value: str) -> list[str]:
    return [k.strip() for k in str(value or "").split(";") if k.strip()]


def row_problems(
    rows: list[dict],
    cited: tuple[tuple[str, str], ...],
    tiers_by_key: dict[str, str | None],
    where: str,
) -> tuple[list[Problem], int, int]:
    """Rules 1, 2 and 7 on one table: no claim cites tier X, and every cited claim has an A or B
    source or its reader text says it is unverified. ``cited`` pairs each column of citation keys
    with the text column that states the claim. Returns (problems, claims on tier C alone, of
    which shown as unverified)."""
    problems, on_c, marked = [], 0, 0
    for i, row in enumerate(rows):
        for col, text_col in cited:
            keys = _split(row.get(col, ""))
            if not keys:
                continue
            found = [tiers_by_key.get(k) for k in keys]
            if "X" in found:
                problems.append(Problem(where, col, i + 2, "cites a tier X source (rule 1)"))
            if any(t in ("A", "B") for t in found):
                continue
            on_c += 1
            if UNVERIFIED.search(row.get(text_col, "") or ""):
                marked += 1
                continue
            problems.append(
                Problem(
                    where,
                    col,
                    i + 2,
                    f"{' ; '.join(keys)}: rests on tier C alone, and column "
                    f"{text_col} does not say it is unverified (rules 2 and 7)",
                )
            )
    return problems, on_c, marked


def _read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Report:
    """What the policy finds: problems, entries per tier, undated entries, rows on tier C."""

    problems: list[Problem]
    tiers: Counter
    entries: int
    undated: int
    undated_unexplained: int
    duplicate_addresses: int
    rows_on_c: int
    rows_on_c_marked: int

    def summary(self) -> str:
        counts = ", ".join(f"{t} {self.tiers.get(t, 0)}" for t in TIERS)
        unknown = self.tiers.get(None, 0)
        return (
            f"sources: {self.entries} entries, tier {counts}"
            + (f", no tier {unknown}" if unknown else "")
            + f"; {self.undated} undated ({self.undated_unexplained} without saying why); "
            f"{self.duplicate_addresses} "
            f"address(es) under two keys; figures, dates or quotations on tier C alone: "
            f"{self.rows_on_c - self.rows_on_c_marked} (and {self.rows_on_c_marked} shown to "
            "the reader as unverified)"
        )


def check(bib: Path | None = None, tiers_csv: Path = TIERS_CSV) -> Report:
    """Apply the whole policy to the bibliography and every table the book shows."""
    bib = bib or paths.REFERENCES_BIB
    entries = parse_bib(bib.read_text(encoding="utf-8"))
    tiers = load_tiers(tiers_csv)
    problems = bibliography_problems(entries, tiers, where=bib.name)
    by_key = entry_tiers(entries, tiers)
    on_c = marked = 0
    tables = [(paths.CURATED / f"{n}.csv", c) for n, c in CITED_TABLES.items()]
    tables += [(paths.PROCESSED / f"{n}.csv", c) for n, c in PROCESSED_CITED.items()]
    for path, cited in tables:
        if not path.is_file():
            continue
        rows = _read_rows(path)
        missing = [c for pair in cited for c in pair if rows and c not in rows[0]]
        if missing:
            problems.append(
                Problem(
                    _rel(path),
                    missing[0],
                    None,
                    "column missing: every figure must be cited to its page",
                )
            )
            continue
        p, n, m = row_problems(rows, cited, by_key, _rel(path))
        problems += p
        on_c += n
        marked += m
    keys_at: dict[str, list[str]] = {}
    for e in entries:
        if e.address:
            keys_at.setdefault(normalise_address(e.address), []).append(e.key)
    dates = {e.key: e.fields.get("date", "") for e in entries}
    return Report(
        problems,
        Counter(by_key.values()),
        len(entries),
        sum(not e.dated for e in entries),
        sum(not e.dated and not UNDATED.search(e.fields.get("note", "")) for e in entries),
        sum(1 for keys in keys_at.values() if len(keys) > 1 and not dated_states(keys, dates)),
        on_c,
        marked,
    )


__all__ = ["Entry", "Report", "check", "load_tiers", "normalise_address", "parse_bib", "tier_of"]
