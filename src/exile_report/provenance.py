"""What an edition says about where it came from, and nothing it cannot prove.

The edition date is ``SOURCE_DATE_EPOCH`` when set, else the date of the source commit; only a tree
without git history falls back to the day of the build, and the book then says so. The commit is
the checked-out ``HEAD``, marked ``-dirty`` when tracked files differ from it (the edition then
cannot be rebuilt from the commit alone), or ``none`` outside a git checkout. Tools are the pinned
ones: pandoc is the binary shipped by the locked ``pypandoc-binary``, whatever else is on PATH.
"""

from __future__ import annotations

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
    date: str  # ISO date of the edition
    date_from: str  # "SOURCE_DATE_EPOCH", "commit" or "build day"
    commit: str  # short hash, with DIRTY appended for a modified tree, or NO_COMMIT
    dirty: bool

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
        """Where the edition date comes from, as the colophon says it."""
        return {
            "SOURCE_DATE_EPOCH": "set by SOURCE_DATE_EPOCH",
            "commit": "date of the source commit",
        }.get(self.date_from, "the day of the build: no source commit and no SOURCE_DATE_EPOCH")


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
    if epoch:
        date, date_from = epoch, "SOURCE_DATE_EPOCH"
    else:
        committed = _git(root, "log", "-1", "--format=%cs") if commit else None
        if committed:
            date, date_from = committed, "commit"
        else:
            date, date_from = time.strftime("%Y-%m-%d", time.gmtime()), "build day"
    shown = (commit + DIRTY if dirty else commit) if commit else NO_COMMIT
    return Provenance(date=date, date_from=date_from, commit=shown, dirty=dirty)


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
