"""``check_all()``: everything that can be wrong with the data, as a list of problems.

Wired to ``exile-report check`` and run before a build. Each problem names the file, and
where it applies the column and the (spreadsheet) row, so it can be fixed without a debugger.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from exile_report import paths
from exile_report.data import DataError, Problem, _rel, check_table
from exile_report.schemas import TABLES, bib_files, bib_keys, split_keys

# Our key format (author_year_word) as cited in chapter text: [@unhcr_2026_refugees].
_CITED = re.compile(r"(?<![\w@.])@([a-z][a-z0-9]*(?:_[a-z0-9]+)*_\d{4}_[a-z0-9_]+)")


def raw_checks() -> list[Problem]:
    """Raw snapshots against the register's sha256 (only when the raw folder is present)."""
    from exile_report.processing import raw_problems

    raw = paths.raw_dir()
    if not raw.is_dir():
        return []
    return [
        Problem(msg.split(": ", 1)[0], None, None, msg.split(": ", 1)[1])
        for msg in raw_problems(raw)
    ]


def datapackage_checks() -> list[Problem]:
    """Every file's hash and size against data/datapackage.json, and no table left out."""
    from exile_report.fingerprint import sha256_file

    dp = paths.DATAPACKAGE
    if not dp.is_file():
        return [Problem(_rel(dp), None, None, "missing; run `exile-report data`")]
    problems = []
    listed = set()
    try:
        resources = json.loads(dp.read_text(encoding="utf-8"))["resources"]
        paths_listed = [str(res["path"]) for res in resources]
    except (ValueError, KeyError, TypeError) as exc:
        return [
            Problem(
                _rel(dp),
                None,
                None,
                f"malformed ({type(exc).__name__}: {exc}); "
                "regenerate with `python -m exile_report.datapackage`",
            )
        ]
    for res, rel in zip(resources, paths_listed):
        path = paths.DATA / rel
        listed.add(path.resolve())
        if not path.is_file():
            problems.append(
                Problem(_rel(path), None, None, "listed in datapackage.json but missing")
            )
            continue
        actual = f"sha256:{sha256_file(path)}"
        if res.get("hash") != actual:
            problems.append(
                Problem(
                    _rel(path),
                    None,
                    None,
                    f"hash differs from datapackage.json: expected {res.get('hash')}, "
                    f"actual {actual}; regenerate with `python -m exile_report.datapackage`",
                )
            )
    for table in TABLES.values():
        if table.path.is_file() and table.path.resolve() not in listed:
            problems.append(
                Problem(
                    _rel(table.path),
                    None,
                    None,
                    "not described in datapackage.json; regenerate with "
                    "`python -m exile_report.datapackage`",
                )
            )
    return problems


def schema_checks() -> list[Problem]:
    """Every processed and curated table against its schema (missing files included)."""
    problems = []
    for name in TABLES:
        problems += check_table(name)
    return problems


def _ids(table_name: str) -> set[str] | None:
    table = TABLES[table_name]
    if not table.path.is_file() or not table.key:
        return None
    return set(pd.read_csv(table.path, dtype=str, keep_default_na=False)[table.key[0]])


def cross_checks() -> list[Problem]:
    """Relations between tables: codes used are defined, conflict rows exist."""
    problems = []
    events, bases = TABLES["foreign_agents_events"], TABLES["foreign_agents_legal_bases"]
    if events.path.is_file() and bases.path.is_file():
        known = _ids("foreign_agents_legal_bases") or set()
        ev = pd.read_csv(events.path, dtype=str, keep_default_na=False)
        for i, code in enumerate(ev["legal_basis"]):
            if code not in known:
                problems.append(
                    Problem(
                        _rel(events.path),
                        "legal_basis",
                        i + 2,
                        f"{code!r} not in foreign_agents_legal_bases",
                    )
                )
    conflicts = TABLES["conflicts"]
    if conflicts.path.is_file():
        df = pd.read_csv(conflicts.path, dtype=str, keep_default_na=False)
        for i, rec in enumerate(df.to_dict("records")):
            target = rec.get("table", "")
            ids = _ids(target) if target in TABLES else None
            if ids is None:
                continue
            for rid in split_keys(rec.get("row_ids", "")):
                if rid not in ids:
                    problems.append(
                        Problem(
                            _rel(conflicts.path),
                            "row_ids",
                            i + 2,
                            f"{rid!r} is not an id in {target}.csv",
                        )
                    )
    return problems


def citation_checks() -> list[Problem]:
    """Citation keys of the register and of the chapters' text resolve in the bibliography."""
    known = bib_keys()
    problems = []
    if not bib_files():
        return [
            Problem("references.bib", None, None, "no bibliography (references.bib or bib/*.bib)")
        ]
    from exile_report.sources import citation_keys, load_register

    for src in load_register():
        for key in citation_keys(src):
            if key not in known:
                problems.append(
                    Problem(
                        _rel(paths.SOURCES_YML),
                        "citation_key",
                        None,
                        f"source {src['id']}: key {key!r} not in the bibliography",
                    )
                )
    chapters = (
        sorted((paths.ROOT / "chapters").glob("*.ipynb"))
        + sorted((paths.ROOT / "chapters").glob("*.qmd"))
        + sorted(paths.ROOT.glob("*.qmd"))
    )
    for path in chapters:
        for line_no, line in enumerate(_text_lines(path), start=1):
            for key in _CITED.findall(line):
                if key not in known:
                    problems.append(
                        Problem(_rel(path), None, line_no, f"cites @{key}, not in the bibliography")
                    )
    return problems


def source_policy_checks() -> list[Problem]:
    """The source policy (research/source-policy.md) on the bibliography and every table the
    book shows: no tier X, no claim on tier C alone unless shown as unverified, one key per
    address, undated entries say why (see ``exile_report.source_policy``)."""
    from exile_report.source_policy import check

    return check().problems


def _text_lines(path: Path) -> list[str]:
    """Markdown text of a notebook (markdown cells) or a .qmd file, line by line."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        text = "\n".join(
            "".join(c.get("source", "")) for c in cells if c.get("cell_type") == "markdown"
        )
        return text.splitlines()
    return path.read_text(encoding="utf-8").splitlines()


def check_all() -> list[Problem]:
    """All data problems: raw checksums, datapackage hashes, schemas, cross-table relations,
    citation keys, source policy. Empty list means the data are sound."""
    problems: list[Problem] = []
    for step in (
        raw_checks,
        datapackage_checks,
        schema_checks,
        cross_checks,
        citation_checks,
        source_policy_checks,
    ):
        try:
            problems += step()
        except DataError as exc:
            problems.append(Problem(step.__name__, None, None, str(exc)))
    return problems


__all__ = ["Problem", "check_all"]
