"""``exile-report preview``: the writer's loop. Serve the HTML book, rebuild what a change needs,
reload the open page.

- The book is served on 127.0.0.1 from ``_build/preview/`` (never ``_book/``, which holds the
  published edition). Every HTML page it serves gets one extra script, ``/__preview/reload.js``,
  which waits for the next rebuild and reloads the page (keeping its scroll position), or shows
  the build's error in a banner.
- The book is built with the defaults, or with ``--set NAME`` / ``--param`` as ``exile-report
  build`` takes them; editing that set in ``params.yml`` re-executes the chapters it changes.
- The project is polled for changes: the chapters and appendices, ``_quarto.yml``, ``params.yml``,
  the bibliography, the data and the package. A change runs the same steps as ``exile-report
  build``, HTML only: an edit of a chapter's Markdown alone is placed into the executed notebook
  without executing it (:mod:`exile_report.refresh`); a code or parameter change executes that
  chapter alone, on a kernel started ahead while the writer was typing.
- The whole HTML book is rendered in one pandoc run (the cross-references and citations of every
  page depend on the other chapters), which takes about a second.
- The PDF is built when it is asked for (``/exile-report.pdf``), not on every keystroke.
- A change to the package's own build or render code restarts the server process, so the new
  code is what renders; the open page reconnects and reloads by itself.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import execute

PREVIEW = Path("_build") / "preview"
PDF_NAME = "exile-report.pdf"
POLL_SECONDS = 0.1
WAIT_SECONDS = 20  # a page's request for the next version is answered after this at the latest

#: What the book is built from, relative to the project root (folders are searched recursively).
WATCHED = (
    "chapters",
    "index.qmd",
    "_quarto.yml",
    "params.yml",
    "references.bib",
    "data",
    "src/exile_report",
)
#: Package code that runs in this process (the build and the renderer): a change restarts it.
#: The rest of the package runs in the kernels, which are started afresh.
IN_PROCESS = (
    "src/exile_report/render",
    "src/exile_report/build.py",
    "src/exile_report/publish.py",
    "src/exile_report/preview.py",
    "src/exile_report/execute.py",
    "src/exile_report/refresh.py",
    "src/exile_report/inline.py",
    "src/exile_report/cli.py",
)
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}

RELOAD_JS = r"""(function () {
  "use strict";
  var key = "exile-preview-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, parseInt(saved, 10)); }
  var token = null;
  var banner = document.createElement("div");
  banner.setAttribute("role", "status");
  banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:9999;padding:.5em 1em;" +
    "font:14px/1.4 system-ui,sans-serif;background:#fff3cd;color:#3d2e00;border-top:1px solid #b38f00;" +
    "white-space:pre-wrap;display:none";
  var pdf = document.createElement("a");
  pdf.href = "/exile-report.pdf";
  pdf.textContent = "PDF (built when opened)";
  pdf.style.cssText = "position:fixed;right:.75em;top:.5em;z-index:9999;font:13px system-ui,sans-serif;" +
    "background:#fff;color:#0b4f8a;padding:.2em .5em;border:1px solid #0b4f8a;border-radius:3px";
  document.addEventListener("DOMContentLoaded", function () {
    document.body.appendChild(banner); document.body.appendChild(pdf);
  });
  function show(error) {
    banner.textContent = error ? "Preview: the last change did not build. " + error : "";
    banner.style.display = error ? "block" : "none";
  }
  function wait() {
    fetch("/__preview/wait?token=" + encodeURIComponent(token || ""), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (token !== null && state.token !== token && !state.error) {
          sessionStorage.setItem(key, String(window.scrollY));
          location.reload();
          return;
        }
        token = state.token; show(state.error); wait();
      })
      .catch(function () { setTimeout(wait, 300); });
  }
  wait();
})();
"""


class PreviewError(RuntimeError):
    """The preview cannot start (port taken, no book to serve); the message says why."""


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Modification time and size of every watched file."""
    state: dict[str, tuple[int, int]] = {}
    for name in WATCHED:
        path = root / name
        paths = path.rglob("*") if path.is_dir() else [path]
        for p in paths:
            if _SKIP_PARTS & set(p.parts) or p.suffix in (".pyc", ".lock"):
                continue
            try:
                st = p.stat()
            except OSError:
                continue
            if p.is_file():
                state[p.relative_to(root).as_posix()] = (st.st_mtime_ns, st.st_size)
    return state


def changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def needs_restart(paths: list[str]) -> bool:
    return any(p == d or p.startswith(d + "/") for p in paths for d in IN_PROCESS)


class Preview:
    """The rebuilt site and its version; one rebuild at a time."""

    def __init__(
        self, root: Path, log=print, overrides: list[str] = (), param_set: str | None = None
    ) -> None:
        self.root = root
        self.overrides, self.param_set = list(overrides), param_set
        self.dir = root / PREVIEW
        self.log = log
        self.version = 0
        self.error: str | None = None
        self.token = f"{os.getpid()}-0"
        self.changed = threading.Condition()
        self._build_lock = threading.Lock()
        self._pdf_lock = threading.Lock()
        self._pdf_version = -1
        self.kernels = execute.KernelPool()
        self.runs: list[execute.ChapterRun] = []
        self.params: dict = {}

    @property
    def site(self) -> Path:
        return self.dir / "current"

    def warm_kernel(self) -> None:
        """Start a kernel in the background for the next chapter that must execute."""
        if len(self.kernels) == 0:
            threading.Thread(target=self.kernels.start, args=(1, self.root), daemon=True).start()

    def rebuild(self, paths: list[str] | None = None) -> float:
        """Build the HTML book into a new folder and point ``current`` at it; returns seconds.

        On failure the last good site stays served and the error is shown on the open page."""
        from .build import BuildError, _check_data, build_lock, plan, recover
        from .params import ParamError, resolve_params
        from .provenance import ProvenanceError, of
        from .publish import render_into, write_variables
        from .render.model import RenderError

        t0 = time.perf_counter()
        with self._build_lock, build_lock(self.root, self.log):
            try:
                recover(self.root, lambda _m: None)
                params = resolve_params(self.root / "params.yml", self.overrides, self.param_set)
                if paths is None or any(_touches_data(p) for p in paths) or self.error:
                    _check_data(self.root, self.log)  # the data, its schemas or the lock changed
                runs = plan(self.root, params)
                execute.execute_chapters(runs, self.root, kernels=self.kernels, log=self.log)
                prov = of(self.root)
                write_variables(self.root, params, prov.date, prov.commit)
                version = self.version + 1
                staging = self.dir / f"site-{os.getpid()}-{version}"
                shutil.rmtree(staging, ignore_errors=True)
                render_into(
                    self.root,
                    staging,
                    runs,
                    params,
                    provenance=prov,
                    engine="builtin",
                    log=lambda _m: None,
                    pdf=False,
                )
            except (
                BuildError,
                ParamError,
                RenderError,
                ProvenanceError,
                execute.ExecutionError,
                OSError,
            ) as exc:
                self._publish(self.version, error=_one_line(exc))
                self.log(f"preview: the change did not build: {_one_line(exc)}")
                return time.perf_counter() - t0
            self.runs, self.params = runs, params
            self._swap(staging)
            self._publish(version, error=None)
        self.warm_kernel()
        return time.perf_counter() - t0

    def _swap(self, staging: Path) -> None:
        """Point ``current`` at ``staging`` in one rename, then drop the older sites."""
        link = self.dir / f"current.new-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(staging.name)
        os.replace(link, self.site)
        for old in self.dir.glob("site-*"):
            if old.name != staging.name:
                shutil.rmtree(old, ignore_errors=True)

    def _publish(self, version: int, error: str | None) -> None:
        with self.changed:
            self.version, self.error = version, error
            self.token = f"{os.getpid()}-{version}" + ("-error" if error else "")
            self.changed.notify_all()

    def wait(self, token: str, timeout: float = WAIT_SECONDS) -> dict:
        """The current state once it differs from ``token`` (or after ``timeout``)."""
        with self.changed:
            if token:
                self.changed.wait_for(lambda: self.token != token, timeout=timeout)
            return {"token": self.token, "version": self.version, "error": self.error}

    def pdf(self) -> Path:
        """The PDF of the current version, built on first request."""
        from .provenance import of
        from .publish import render_into

        with self._pdf_lock:
            target = self.dir / PDF_NAME
            if self._pdf_version == self.version and target.is_file():
                return target
            version = self.version
            work = self.dir / f"pdf-{os.getpid()}"
            shutil.rmtree(work, ignore_errors=True)
            render_into(
                self.root,
                work,
                self.runs,
                self.params,
                provenance=of(self.root),
                engine="builtin",
                log=lambda _m: None,
            )
            os.replace(work / PDF_NAME, target)
            shutil.rmtree(work, ignore_errors=True)
            self._pdf_version = version
            return target


def _touches_data(path: str) -> bool:
    """Whether a change to ``path`` can change what the data check says (the data, the schemas
    and their validator, or the packages)."""
    return path.startswith("data/") or path in (
        "src/exile_report/schemas.py",
        "src/exile_report/tables.yml",
        "src/exile_report/data.py",
        "requirements.lock",
    )


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " / ".join(lines[:3]) or type(exc).__name__


class Handler(SimpleHTTPRequestHandler):
    """Files of the current site; HTML pages get the reload script."""

    preview: Preview

    def __init__(self, *args, preview: Preview, **kwargs) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.site), **kwargs)

    def log_message(self, format, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/__preview/reload.js":
            return self._send(RELOAD_JS.encode(), "text/javascript; charset=utf-8")
        if url.path == "/__preview/wait":
            token = parse_qs(url.query).get("token", [""])[0]
            state = self.preview.wait(token)
            return self._send(json.dumps(state).encode(), "application/json")
        if url.path == f"/{PDF_NAME}":
            try:
                path = self.preview.pdf()
            except Exception as exc:  # noqa: BLE001 - shown to the writer, the server goes on
                return self._send(
                    f"the PDF did not build: {_one_line(exc)}\n".encode(),
                    "text/plain; charset=utf-8",
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                )
            return self._send(path.read_bytes(), "application/pdf")
        # the site folder of this request: ``current`` may be re-pointed by a rebuild meanwhile
        self.directory = os.path.realpath(self.preview.site)
        page = url.path if not url.path.endswith("/") else url.path + "index.html"
        if page.endswith(".html"):
            file = Path(self.translate_path(page))
            if file.is_file():
                html = file.read_text(encoding="utf-8")
                tag = '<script src="/__preview/reload.js"></script>'
                html = (
                    html.replace("</body>", tag + "</body>", 1) if "</body>" in html else html + tag
                )
                return self._send(html.encode(), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, kind: str, status=HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 4848,
    log=print,
    overrides: list[str] = (),
    param_set: str | None = None,
) -> int:
    """Serve and rebuild until interrupted; returns the exit status (0 on Ctrl-C or SIGTERM)."""
    import signal

    preview = Preview(root, log=log, overrides=overrides, param_set=param_set)
    preview.dir.mkdir(parents=True, exist_ok=True)
    log("preview: building the HTML book")
    seen = snapshot(root)
    seconds = preview.rebuild()
    if preview.error and not preview.site.exists():
        raise PreviewError(f"the book does not build, nothing to serve: {preview.error}")
    try:
        server = ThreadingHTTPServer((host, port), partial(Handler, preview=preview))
    except OSError as exc:
        raise PreviewError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server.daemon_threads = True
    url = f"http://{host}:{server.server_address[1]}/"
    log(
        f"preview: serving {url} (built in {seconds:.1f} s; the PDF is built when {url}{PDF_NAME} "
        "is opened; Ctrl-C stops)"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            time.sleep(POLL_SECONDS)
            now = snapshot(root)
            paths = changed(seen, now)
            if not paths:
                continue
            time.sleep(
                POLL_SECONDS / 2
            )  # let an editor finish writing (a save may be several writes)
            now = snapshot(root)
            paths = changed(seen, now)
            seen = now
            if needs_restart(paths):
                log(f"preview: {paths[0]} changed: restarting to run the new code")
                _shutdown(server, preview)
                again = ["--host", host, "--port", str(server.server_address[1])]
                again += [a for o in overrides for a in ("--param", o)]
                again += ["--set", param_set] if param_set else []
                os.execv(
                    sys.executable, [sys.executable, "-m", "exile_report.cli", "preview", *again]
                )
            log(f"preview: {', '.join(paths[:3])}{' …' if len(paths) > 3 else ''} changed")
            if any(p.startswith("src/") for p in paths):
                preview.kernels.close()  # a kernel started ahead imported the old package code
            seconds = preview.rebuild(paths)
            if not preview.error:
                log(f"preview: rebuilt in {seconds:.1f} s")
    except KeyboardInterrupt:
        log("preview: stopped")
        return 0
    finally:
        _shutdown(server, preview)


def _shutdown(server, preview: Preview) -> None:
    server.shutdown()
    server.server_close()
    preview.kernels.close()


# --------------------------------------------------------------------------- driving a preview
# Used by the tests and by ``make bench``: a preview server in a subprocess, and the time from a
# saved file to the served page that shows it.


class PreviewProcess:
    """``exile-report preview --port 0`` on a project folder, in a subprocess."""

    def __init__(
        self, root: Path, *args: str, env: dict | None = None, timeout: float = 300
    ) -> None:
        import subprocess

        self.root = Path(root)
        full_env = dict(os.environ, PYTHONPATH=str(self.root / "src"), **(env or {}))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exile_report.cli", "preview", "--port", "0", *args],
            cwd=self.root,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url(timeout)
        self.token = self.state()["token"]

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def _wait_for_url(self, timeout: float) -> str:
        import re

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
                if m:
                    return m.group(1)
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise PreviewError("the preview exited before serving:\n" + "\n".join(self.lines))
            time.sleep(0.05)
        raise PreviewError("the preview did not start in time:\n" + "\n".join(self.lines))

    def get(self, path: str) -> bytes:
        from urllib.request import urlopen

        with urlopen(self.url + path.lstrip("/"), timeout=120) as response:
            return response.read()

    def state(self, token: str = "") -> dict:
        return json.loads(self.get(f"__preview/wait?token={token}"))

    def next_state(self, timeout: float = 120) -> dict:
        """Wait for the next rebuild (or failed rebuild) after the last one seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(self.token)
            if state["token"] != self.token:
                self.token = state["token"]
                return state
        raise PreviewError("no rebuild within the time allowed:\n" + "\n".join(self.lines[-20:]))

    def edit_and_reload(self, path: Path, text: str, page: str) -> tuple[float, dict, str]:
        """Write ``text`` to ``path``; seconds until the rebuilt ``page`` was fetched."""
        start = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        state = self.next_state()
        html = self.get(page).decode("utf-8")
        return time.perf_counter() - start, state, html

    def stop(self, timeout: float = 20) -> int:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return self.proc.returncode


def replace_in_markdown(notebook_text: str, old: str, new: str) -> str:
    """A notebook's JSON with ``old`` replaced by ``new`` in its first Markdown cell holding it."""
    nb = json.loads(notebook_text)
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown" and old in src:
            cell["source"] = src.replace(old, new, 1)
            return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    raise ValueError(f"no Markdown cell holds {old!r}")
