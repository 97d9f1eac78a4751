"""What a build says about where it came from, and nothing it cannot prove.

The edition itself (version, release date) is declared in ``_quarto.yml``
(:mod:`exile_report.identity`); this module dates and marks one *build* of it.

The build date is ``SOURCE_DATE_EPOCH`` when set. Otherwise a build of a clean commit is dated
by that commit (so a rebuild of the same commit gives the same bytes: the reproducible, official
way), and a build from a modified tree or from a tree without git history by the day of the build;
the colophon says which. The commit is the checked-out ``HEAD``, marked ``-dirty`` when tracked
files differ from it (the edition then cannot be rebuilt from the commit alone), or ``none`` outside
a git checkout. A build with parameters other than the defaults, or from a modified tree, is a
*variant*, not the edition: :func:`variant` names it with a short hash of its parameters, and the
title page, colophon, every HTML page and the PDF's file name say so. Tools are the pinned ones:
pandoc is the binary shipped by the locked ``pypandoc-binary``, whatever else is on PATH.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NO_COMMIT = "none"
DIRTY = "-dirty"


class ProvenanceError(ValueError):
    """A setting that fixes provenance (``SOURCE_DATE_EPOCH``) is malformed."""


@dataclass(frozen=True)
class Provenance:
    date: str  # ISO date of the build
    date_from: str  # "SOURCE_DATE_EPOCH", "commit" or "build day"
    commit: str  # short hash, with DIRTY appended for a modified tree, or NO_COMMIT
    dirty: bool
    commit_date: str = ""  # ISO date of the source commit ("" outside a git checkout)

    def notes(self) -> dict[str, str]:
        """Colophon lines that qualify the edition's claims (empty for a clean commit)."""
        notes = {}
        if self.commit == NO_COMMIT:
            notes["Source tree"] = (
                "not a git checkout: the source commit is unknown and the "
                "edition cannot be traced to one"
            )
        elif self.dirty:
            notes["Source tree"] = (
                "modified: built with uncommitted changes, so the commit alone "
                "does not rebuild this edition"
            )
        return notes

    def date_source(self) -> str:
        """Where the build date comes from, as the colophon says it."""
        if self.date_from == "SOURCE_DATE_EPOCH":
            return "set by SOURCE_DATE_EPOCH"
        if self.date_from == "commit":
            return "the source commit's date, so that a rebuild of the commit is identical"
        if self.dirty:
            return "the day of the build: uncommitted changes and no SOURCE_DATE_EPOCH"
        return "the day of the build: no source commit and no SOURCE_DATE_EPOCH"


def _git(root: Path, *args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def epoch_date() -> str | None:
    """``SOURCE_DATE_EPOCH`` as an ISO date, None when unset; a malformed value is an error."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":
        return None
    if not epoch.isdigit() or len(epoch) > 12:
        raise ProvenanceError(
            f"SOURCE_DATE_EPOCH={epoch!r}: expected whole seconds since "
            "1970-01-01 UTC, e.g. 1767225600"
        )
    return time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))


def of(root: Path) -> Provenance:
    """The provenance of a build of the checkout at ``root``."""
    inside = _git(root, "rev-parse", "--is-inside-work-tree") == "true"
    commit = _git(root, "rev-parse", "--short=12", "HEAD") if inside else None
    dirty = False
    if commit:
        status = _git(root, "status", "--porcelain", "--untracked-files=no")
        dirty = bool(status)
    epoch = epoch_date()
    committed = (_git(root, "log", "-1", "--format=%cs") if commit else None) or ""
    if epoch:
        date, date_from = epoch, "SOURCE_DATE_EPOCH"
    elif committed and not dirty:
        date, date_from = committed, "commit"
    else:
        date, date_from = time.strftime("%Y-%m-%d", time.gmtime()), "build day"
    shown = (commit + DIRTY if dirty else commit) if commit else NO_COMMIT
    return Provenance(
        date=date, date_from=date_from, commit=shown, dirty=dirty, commit_date=committed
    )


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    """Whether a build is the edition or a variant of it, and how it is named."""

    params_hash: str  # short hash of the parameters the build used
    params_differ: bool  # parameters other than the declared defaults
    dirty: bool  # built from a modified tree

    @property
    def is_variant(self) -> bool:
        return self.params_differ or self.dirty

    @property
    def label(self) -> str:
        """Empty for the edition; ``variant 1a2b3c4d`` (``, uncommitted changes``) otherwise."""
        if not self.is_variant:
            return ""
        return f"variant {self.params_hash}" + (", uncommitted changes" if self.dirty else "")

    @property
    def file_suffix(self) -> str:
        """What the output file names carry: ``-variant-1a2b3c4d`` (``-dirty``), or ""."""
        if not self.is_variant:
            return ""
        return f"-variant-{self.params_hash}" + ("-dirty" if self.dirty else "")

    def explanation(self) -> str:
        """One sentence for the banner and the colophon."""
        if not self.is_variant:
            return ""
        why = []
        if self.params_differ:
            why.append("parameters other than the edition's defaults")
        if self.dirty:
            why.append("uncommitted changes to the sources")
        return (
            f"This is a variant build ({self.params_hash}), not the published edition: built "
            f"with {' and '.join(why)}. Its numbers may differ from the edition's."
        )


def params_hash(params: dict) -> str:
    """A short, stable hash of resolved parameters (chapter -> name -> value)."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def variant(params: dict, defaults: dict, dirty: bool) -> Variant:
    """The variant status of a build with ``params`` where ``defaults`` are the edition's."""
    return Variant(params_hash=params_hash(params), params_differ=params != defaults, dirty=dirty)


def pandoc_path() -> str:
    """The pandoc binary of the locked ``pypandoc-binary`` (never one found on PATH)."""
    import pypandoc

    pinned = Path(pypandoc.__file__).parent / "files" / "pandoc"
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return str(pinned)
    from exile_report.render.model import RenderError

    raise RenderError(
        f"pandoc: the pinned binary {pinned} is missing; reinstall the "
        "environment with `make venv` (pypandoc-binary from requirements.lock)"
    )
