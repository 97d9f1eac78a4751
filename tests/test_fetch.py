"""``exile-report fetch`` against a real HTTP server on 127.0.0.1 (Python's http.server in a
thread): whole downloads verified by sha256, a corrupted download, a server that is down, and
nothing half-written left behind in any case."""

from __future__ import annotations

import functools
import hashlib
import shutil
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from _data_helpers import RAW, needs_raw
from exile_report import cli, paths
from exile_report.fetch import FetchError, download_address, fetch_all, plan
from exile_report.sources import load_register


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """serve(folder) -> base URL of an HTTP server on 127.0.0.1 serving that folder."""
    servers = []

    def start(folder: Path) -> str:
        httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
        )
        # a short poll: shutdown() waits for it (the default half second, at every teardown)
        threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_port}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _register(files: dict[str, dict[str, bytes]], verbatim: dict | None = None) -> list[dict]:
    """A register in the format of data/sources.yml for the given {source: {name: bytes}};
    ``verbatim`` maps a source to the url_download its one verbatim file comes from."""
    out, verbatim = [], verbatim or {}
    for sid, content in files.items():
        entries = [
            {"name": n, "sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)}
            for n, b in content.items()
        ]
        if sid in verbatim:
            entries[-1]["verbatim"] = True
        out.append(
            {
                "id": sid,
                "url_download": verbatim.get(sid, "https://example.org/a/page"),
                "files": entries,
            }
        )
    return out


def _write_tree(root: Path, files: dict[str, dict[str, bytes]]) -> None:
    for sid, content in files.items():
        (root / sid).mkdir(parents=True, exist_ok=True)
        for name, data in content.items():
            (root / sid / name).write_bytes(data)


def _all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


FILES = {
    "alpha-source": {"PROVENANCE.md": b"# alpha\n", "table.csv": b"year,n\n2022,1\n2023,2\n"},
    "beta-source": {"PROVENANCE.md": b"# beta\n", "data.json": b'{"rows": [1, 2, 3]}\n' * 50},
}


def test_fetch_from_a_mirror_downloads_and_verifies_every_file(serve, tmp_path):
    mirror = tmp_path / "mirror"
    _write_tree(mirror, FILES)
    raw = tmp_path / "raw"
    log = []
    report = fetch_all(raw, _register(FILES), serve(mirror), log=log.append)
    assert sorted(report.downloaded) == sorted(f"{s}/{n}" for s in FILES for n in FILES[s])
    assert report.present == []
    assert _all_files(raw) == _all_files(mirror)  # no .part file left beside them
    for sid, content in FILES.items():
        for name, data in content.items():
            assert (raw / sid / name).read_bytes() == data
    assert log == [f"fetching {p}" for p in report.downloaded]
    # A second run finds everything in place and downloads nothing.
    again = fetch_all(raw, _register(FILES), serve(mirror), log=log.append)
    assert again.downloaded == [] and len(again.present) == 4


def test_a_verbatim_file_comes_from_url_download(serve, tmp_path):
    producer = tmp_path / "producer"
    (producer / "repo" / "raw" / "abc123").mkdir(parents=True)
    data = b'{"type": "FeatureCollection", "features": []}\n'
    (producer / "repo" / "raw" / "abc123" / "countries.json").write_bytes(data)
    base = serve(producer)
    files = {"maps": {"countries.json": data}}
    register = _register(files, verbatim={"maps": f"{base}/repo/raw/abc123/countries.json"})
    # no mirror: the verbatim file has an address of its own
    report = fetch_all(tmp_path / "raw", register, None, log=lambda _: None)
    assert report.downloaded == ["maps/countries.json"]
    assert (tmp_path / "raw" / "maps" / "countries.json").read_bytes() == data


def test_github_file_pages_are_read_through_their_raw_form():
    blob = (
        "https://github.com/martynafford/natural-earth-geojson/blob/"
        "0b9a6ceb0a7032713abd9460ac1e995a9c60cd1e/110m/cultural/ne_110m_admin_0_countries.json"
    )
    assert download_address(blob) == blob.replace("/blob/", "/raw/", 1)
    tree = "https://github.com/humaniverse/asylum/tree/100386da/data"
    assert download_address(tree) == tree
    # The real register: exactly the two files the producers serve unchanged have an address
    # without a mirror, and it is the recorded url_download in its raw form.
    with_address = [
        (s.relpath, s.url) for s in plan(load_register(paths.SOURCES_YML)) if s.url is not None
    ]
    assert with_address == [
        (
            "ru-minjust-undesirable-organizations/registry_2024-09-05_raw.json",
            (
                "https://github.com/fz255/undesirable-organizations/raw/"
                "c2b4eecaa094ffd08e2030b9c442eaca3226004a/registry.json"
            ),
        ),
        ("natural-earth-110m-countries/ne_110m_admin_0_countries.json", download_address(blob)),
    ]


def test_a_corrupted_download_is_discarded_and_the_old_file_kept(serve, tmp_path):
    mirror = tmp_path / "mirror"
    _write_tree(mirror, FILES)
    register = _register(FILES)
    good = FILES["alpha-source"]["table.csv"]
    (mirror / "alpha-source" / "table.csv").write_bytes(good.replace(b"2023,2", b"2023,9"))
    raw = tmp_path / "raw"
    (raw / "alpha-source").mkdir(parents=True)
    (raw / "alpha-source" / "table.csv").write_bytes(b"an older, different snapshot\n")
    with pytest.raises(FetchError) as err:
        fetch_all(raw, register, serve(mirror), log=lambda _: None)
    message = str(err.value)
    assert "\n" not in message
    assert "alpha-source/table.csv" in message and "sha256" in message
    assert "discarded" in message
    assert (raw / "alpha-source" / "table.csv").read_bytes() == b"an older, different snapshot\n"
    assert not [p for p in raw.rglob("*") if p.name.endswith(".part")]


def test_a_download_longer_than_recorded_is_cut_off(serve, tmp_path):
    mirror = tmp_path / "mirror"
    _write_tree(mirror, FILES)
    register = _register(FILES)
    (mirror / "beta-source" / "data.json").write_bytes(FILES["beta-source"]["data.json"] * 3)
    raw = tmp_path / "raw"
    with pytest.raises(FetchError, match=r"beta-source/data\.json.*more than the \d+ bytes"):
        fetch_all(raw, register, serve(mirror), log=lambda _: None)
    assert not (raw / "beta-source" / "data.json").exists()
    assert not [p for p in raw.rglob("*") if p.name.endswith(".part")]


def test_a_missing_file_on_the_server_names_it(serve, tmp_path):
    mirror = tmp_path / "mirror"
    _write_tree(mirror, FILES)
    (mirror / "beta-source" / "data.json").unlink()
    with pytest.raises(
        FetchError,
        match=r"^beta-source/data\.json from http://127\.0\.0\.1:\d+/"
        r"beta-source/data\.json: HTTP 404",
    ):
        fetch_all(tmp_path / "raw", _register(FILES), serve(mirror), log=lambda _: None)
    assert not (tmp_path / "raw" / "beta-source" / "data.json").exists()


def test_a_server_that_is_down_gives_one_clear_line(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as err:
        fetch_all(raw, _register(FILES), f"http://127.0.0.1:{port}", log=lambda _: None)
    message = str(err.value)
    assert message.startswith(
        f"cannot download alpha-source/PROVENANCE.md from "
        f"http://127.0.0.1:{port}/alpha-source/PROVENANCE.md: "
    )
    assert "refused" in message.lower() and "\n" not in message
    assert _all_files(raw) == []


def test_derived_snapshots_without_a_mirror_stop_before_any_download(tmp_path):
    with pytest.raises(
        FetchError,
        match=r"^4 snapshot\(s\) missing from .* have no download "
        r"address, e.g. alpha-source/PROVENANCE\.md.*--from URL",
    ):
        fetch_all(tmp_path / "raw", _register(FILES), None, log=lambda _: None)
    assert not (tmp_path / "raw").exists()


def test_an_unwritable_raw_folder_is_named(serve, tmp_path):
    mirror = tmp_path / "mirror"
    _write_tree(mirror, FILES)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "alpha-source").write_text("a file where the source's folder should be\n")
    with pytest.raises(FetchError, match=r"^cannot write into .*raw/alpha-source: File exists$"):
        fetch_all(raw, _register(FILES), serve(mirror), log=lambda _: None)
    assert _all_files(raw) == ["alpha-source"]


@needs_raw
def test_cli_fetches_every_snapshot_of_the_register(serve, tmp_path, monkeypatch, capsys):
    """The real register and snapshots: a copy of the raw folder served on 127.0.0.1 is fetched
    whole into an empty folder by ``exile-report fetch --from URL``."""
    register = load_register(paths.SOURCES_YML)
    mirror = tmp_path / "mirror"
    for s in register:
        shutil.copytree(RAW / s["id"], mirror / s["id"])
    raw = tmp_path / "raw"
    monkeypatch.setenv("EXILE_RAW_DIR", str(raw))
    monkeypatch.delenv("EXILE_RAW_URL", raising=False)
    # Without an address for the derived tables nothing is fetched, with one line saying why.
    assert cli.main(["fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "--from URL" in err
    assert not raw.exists()
    monkeypatch.setenv("EXILE_RAW_URL", serve(mirror))
    assert cli.main(["fetch"]) == 0
    n = sum(len(s["files"]) for s in register)
    assert f"{n} downloaded, 0 already there" in capsys.readouterr().out
    for s in register:
        for f in s["files"]:
            data = (raw / s["id"] / f["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"]
    assert cli.main(["fetch"]) == 0
    assert f"0 downloaded, {n} already there" in capsys.readouterr().out
