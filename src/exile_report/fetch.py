"""``exile-report fetch``: download the raw snapshots listed in ``data/sources.yml``.

Every file of every source in the register (``files``: name, sha256, bytes) is written to
``<raw folder>/<source id>/<name>`` and verified against its sha256 and size. The address of a
file is:

- ``<mirror>/<source id>/<name>`` when a mirror is given (``--from URL`` or ``$EXILE_RAW_URL``):
  any copy of a raw folder laid out like this one, e.g. a colleague's served with
  ``python -m http.server``;
- otherwise the source's ``url_download``, when the register marks the file ``verbatim: true``
  (byte for byte what the producer serves there; a GitHub ``/blob/`` page address is read
  through its ``/raw/`` form, which serves the same file).

Most snapshots are tables the project derived from the producers' downloads (each folder's
PROVENANCE.md says how): only a copy of a raw folder has their bytes, so without a mirror they
have no address and fetch says so before downloading anything.

A file already present with the right checksum is left alone. A download goes to a temporary
file beside its target and is renamed into place only once its checksum matched, so an
interrupted or corrupted download never leaves a half-written snapshot behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from exile_report.data import DataError
from exile_report.fingerprint import sha256_file

TIMEOUT = 60  # seconds without data before a download is given up
MIRROR_ENV = "EXILE_RAW_URL"
_GITHUB_BLOB = re.compile(r"^https://github\.com/([^/]+)/([^/]+)/blob/(.+)$")


class FetchError(DataError):
    """A snapshot could not be downloaded or did not match the register."""


@dataclass(frozen=True)
class Snapshot:
    """One file of the register: where it goes, what it must hash to, where it comes from."""

    source: str
    name: str
    sha256: str
    bytes: int
    url: str | None  # None: no address known without a mirror

    @property
    def relpath(self) -> str:
        return f"{self.source}/{self.name}"


def download_address(url: str) -> str:
    """The address that serves the file itself: GitHub's page for a file (``/blob/``) serves
    HTML, its ``/raw/`` form serves the file; other addresses are used as recorded."""
    m = _GITHUB_BLOB.match(url)
    return f"https://github.com/{m[1]}/{m[2]}/raw/{m[3]}" if m else url


def plan(sources: list[dict], mirror: str | None = None) -> list[Snapshot]:
    """Every file of the register with the address it will be fetched from."""
    base = mirror.rstrip("/") + "/" if mirror else None
    out = []
    for s in sources:
        for f in s["files"]:
            name = str(f["name"])
            if "/" in name or name in ("", ".", ".."):
                raise FetchError(f"data/sources.yml: source {s['id']}: bad file name {name!r}")
            if base:
                url = base + urllib.parse.quote(f"{s['id']}/{name}")
            elif f.get("verbatim"):
                url = download_address(str(s["url_download"]))
            else:
                url = None
            out.append(Snapshot(s["id"], name, str(f["sha256"]), int(f["bytes"]), url))
    return out


def is_current(path: Path, snap: Snapshot) -> bool:
    return path.is_file() and path.stat().st_size == snap.bytes and sha256_file(path) == snap.sha256


def download(snap: Snapshot, target: Path, timeout: float = TIMEOUT) -> None:
    """Download one snapshot to ``target``; on any failure nothing is left at ``target`` (an
    older file there stays as it was) and ``FetchError`` says what and where."""
    where = f"{snap.relpath} from {snap.url}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{snap.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise FetchError(f"cannot write into {target.parent}: {exc.strerror or exc}") from None
    tmp = Path(tmp)
    try:
        h, size = hashlib.sha256(), 0
        request = urllib.request.Request(snap.url, headers={"User-Agent": "exile-report-fetch"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as r:
            while block := r.read(1 << 16):
                size += len(block)
                if size > snap.bytes:
                    raise FetchError(
                        f"{where}: more than the {snap.bytes} bytes the register "
                        "records; not the recorded snapshot"
                    )
                h.update(block)
                out.write(block)
        if size != snap.bytes or h.hexdigest() != snap.sha256:
            raise FetchError(
                f"{where}: got {size} bytes with sha256 {h.hexdigest()[:12]}…, the "
                f"register records {snap.bytes} bytes with {snap.sha256[:12]}…; "
                "the download was discarded"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{where}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        raise FetchError(f"cannot download {where}: {reason}") from None
    except (TimeoutError, ConnectionError) as exc:
        raise FetchError(f"cannot download {where}: {exc.strerror or exc}") from None
    except OSError as exc:
        raise FetchError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class FetchReport:
    downloaded: list[str]
    present: list[str]


def fetch_all(
    raw: Path, sources: list[dict], mirror: str | None = None, log=print, timeout: float = TIMEOUT
) -> FetchReport:
    """Download every snapshot that is missing or differs; stop at the first failed download.

    When a snapshot that is needed has no address (a derived table and no mirror given), nothing
    is downloaded and ``FetchError`` says so: a partial raw folder is of no use to ``make data``.
    """
    report = FetchReport([], [])
    todo = []
    for snap in plan(sources, mirror):
        if is_current(raw / snap.source / snap.name, snap):
            report.present.append(snap.relpath)
        else:
            todo.append(snap)
    lost = [s.relpath for s in todo if s.url is None]
    if lost:
        raise FetchError(
            f"{len(lost)} snapshot(s) missing from {raw} have no download address, e.g. {lost[0]}: "
            "they are tables derived from the producers' downloads (see url_download in "
            "data/sources.yml and each folder's PROVENANCE.md); fetch them from a copy of a raw "
            f"folder with --from URL (or ${MIRROR_ENV})"
        )
    for snap in todo:
        log(f"fetching {snap.relpath}")
        download(snap, raw / snap.source / snap.name, timeout=timeout)
        report.downloaded.append(snap.relpath)
    return report
