"""The built book in Debian's headless chromium, served from 127.0.0.1: what a reader meets.

Every page is visited once at desktop width (requests, console, links, ids, downloads, axe-core)
and once at phone width (nothing wider than the screen); the tests below only read those visits,
so the whole module drives one browser for a few seconds. Any request to a host other than
127.0.0.1 is blocked and fails the tests: the book must work offline.

The browser is ``$CHROMIUM`` or the first usual chromium/chrome name on PATH (``_chromium.py``);
with none, the tests skip, saying how to get one. ``make test`` installs axe-core (``npm ci``)
first; run outside make, a missing one fails with a message saying how to get it. ``EXILE_TEST_BOOK=/path/to/_book`` tests an
already built book instead of building one (for quick iterations on the renderer).

Every test runs on the book of each engine (built-in and Quarto; the Quarto one is skipped when
``quarto`` is not on PATH). Links are compared as paths from the book's root, whatever page they
were written on; only the page chrome (sidebar, previous/next, header downloads, search) is
found by engine-specific selectors.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from _chromium import find_chromium, missing_reason

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = find_chromium()
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SERIOUS = ("serious", "critical")

pytestmark = pytest.mark.browser


@dataclass(repr=False)
class Visit:
    """What one page showed the browser (at desktop width, and narrowed to a phone's)."""

    name: str
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # requests that failed or answered >= 400
    ids: set[str] = field(default_factory=set)
    toc: list[str] = field(default_factory=list)  # sidebar link targets (pages)
    prev: str | None = None
    next: str | None = None
    links: list[str] = field(default_factory=list)  # every href inside <main>
    downloads: list[str] = field(default_factory=list)  # header + figure download links
    figures: list[dict] = field(default_factory=list)  # {id, alt, source, downloads}
    headings: list[int] = field(default_factory=list)  # heading levels in document order
    violations: list[dict] = field(default_factory=list)  # axe-core, serious or critical
    phone_width: int = 0  # document scroll width at 390 px
    phone_images: list[dict] = field(default_factory=list)  # {src, left, right}

    def __repr__(self) -> str:  # keeps failure reports readable
        return f"Visit({self.name})"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports what matters
        pass


def expected_pages(quarto_yml: Path) -> list[str]:
    """The HTML pages ``_quarto.yml`` promises, in reading order, at Quarto's addresses (the
    source's path with ``.html``; the first page is ``index.html``)."""
    book = yaml.safe_load(quarto_yml.read_text(encoding="utf-8"))["book"]
    names = []
    for entry in [*book.get("chapters", []), *book.get("appendices", [])]:
        path = Path(entry if isinstance(entry, str) else entry["href"])
        names.append("index.html" if not names else path.with_suffix(".html").as_posix())
    return names if "references.html" in names else [*names, "references.html"]


#: Page chrome of each engine: sidebar links, previous / next, header downloads.
CHROME = {
    "builtin": {
        "toc": "#sidebar .toc > li > a",
        "prev": ".page-nav a[rel=prev]",
        "next": ".page-nav a[rel=next]",
        "downloads": ".downloads a[href]",
    },
    "quarto": {
        "toc": "#quarto-sidebar a.sidebar-link[href]",
        "prev": ".nav-page-previous a",
        "next": ".nav-page-next a",
        "downloads": "a.quarto-navigation-tool[href]",
    },
}


@pytest.fixture(scope="module", params=["builtin", "quarto"])
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def book(request, engine) -> Path:
    given = os.environ.get("EXILE_TEST_BOOK" if engine == "builtin" else "EXILE_TEST_QUARTO_BOOK")
    if given:
        return Path(given)
    return (
        request.getfixturevalue("built_repo" if engine == "builtin" else "built_repo_quarto")
        / "_book"
    )


@pytest.fixture(scope="module")
def pages(book) -> list[str]:
    return expected_pages(book.parent / "_quarto.yml")


@pytest.fixture(scope="module")
def server(book):
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(book))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(missing_reason())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"{AXE.relative_to(ROOT)} not found: run 'npm ci' in the repository "
            "(or 'make test', which does)"
        )
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def foreign_requests() -> list[str]:
    """Every request the browser tried to send anywhere but 127.0.0.1 (all of them blocked)."""
    return []


def _context(browser, foreign: list[str], **kwargs):
    """A browser context that lets through only requests to 127.0.0.1 (and file:// pages)."""
    context = browser.new_context(**kwargs)

    def route(r):
        url = urllib.parse.urlsplit(r.request.url)
        if url.scheme in ("file", "data", "blob") or url.hostname == "127.0.0.1":
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context


# Local links are reported as paths from the book's root (the server's root), "#x" included.
COLLECT_JS = """(chrome) => {
  const root = h => { const u = new URL(h, location.href);
                      if (u.origin !== location.origin) return h;
                      const path = u.pathname.endsWith('/') ? u.pathname + 'index.html' : u.pathname;
                      return path.slice(1) + u.hash; };
  const hrefs = sel => [...document.querySelectorAll(sel)].map(a => root(a.getAttribute('href')));
  const one = sel => { const a = document.querySelector(sel); return a ? root(a.getAttribute('href')) : null; };
  return {
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    toc: hrefs(chrome.toc),
    prev: one(chrome.prev),
    next: one(chrome.next),
    links: hrefs('main a[href]'),
    downloads: hrefs(chrome.downloads + ', .figure-downloads a[href], main a[download]'),
    figures: [...document.querySelectorAll('main figure')].filter(f => f.querySelector('img')).map(f => {
      // the source and downloads follow the figure (Quarto: the cell that holds it)
      let meta = (f.closest('.cell') || f).nextElementSibling;
      if (!meta || !meta.classList.contains('figure-meta')) meta = null;
      return {
        id: f.id || f.closest('[id]').id, alt: (f.querySelector('img').getAttribute('alt') || '').trim(),
        source: meta && meta.querySelector('.figure-source') ? meta.querySelector('.figure-source').textContent.trim() : '',
        downloads: meta ? [...meta.querySelectorAll('.figure-downloads a')].map(a => root(a.getAttribute('href'))) : [],
      };
    }),
    headings: [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')].map(h => +h.tagName[1]),
  };
}"""

# axe runs in every open page at once (each page has its own renderer process); the promise is
# kept on window and awaited afterwards.
AXE_START_JS = """() => { window.__axeRun = axe.run(document, {resultTypes: ['violations']}); }"""
AXE_RESULT_JS = """async () => (await window.__axeRun).violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
}))"""

PHONE_JS = """async () => {
  const imgs = [...document.querySelectorAll('main img')];
  imgs.forEach(i => { i.loading = 'eager'; });  // lazy images below the fold have no size yet
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return {
    width: document.documentElement.scrollWidth,
    images: imgs.map(i => { const r = i.getBoundingClientRect();
                            return {src: i.currentSrc || i.src, left: r.left, right: r.right}; }),
  };
}"""


@pytest.fixture(scope="module")
def visits(browser, server, pages, axe_source, foreign_requests, engine) -> dict[str, Visit]:
    """Each page loaded once: read at desktop width, checked by axe, narrowed to a phone's width."""
    result: dict[str, Visit] = {}
    context = _context(browser, foreign_requests, viewport=DESKTOP)
    opened = []
    for name in pages:
        visit = result[name] = Visit(name)
        page = context.new_page()
        page.on("console", lambda m, v=visit: m.type == "error" and v.console_errors.append(m.text))
        page.on("pageerror", lambda e, v=visit: v.console_errors.append(str(e)))
        page.on("requestfailed", lambda r, v=visit: v.failed.append(f"{r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r, v=visit: r.status >= 400 and v.failed.append(f"{r.url} ({r.status})"),
        )
        # axe-core comes in as an init script: the pages' Content-Security-Policy (rightly)
        # refuses an inline <script> tag, and stays in force for everything the test checks
        page.add_init_script(script=axe_source)
        page.goto(server + name, wait_until="load")
        data = page.evaluate(COLLECT_JS, CHROME[engine])
        visit.ids = set(data["ids"])
        for key in ("toc", "prev", "next", "links", "downloads", "figures", "headings"):
            setattr(visit, key, data[key])
        page.evaluate(AXE_START_JS)
        opened.append((visit, page))
    for visit, page in opened:
        visit.violations = [v for v in page.evaluate(AXE_RESULT_JS) if v["impact"] in SERIOUS]
        page.set_viewport_size(PHONE)
        data = page.evaluate(PHONE_JS)
        visit.phone_width, visit.phone_images = data["width"], data["images"]
        page.close()
    context.close()
    return result


def _page_and_fragment(href: str, current: str) -> tuple[str, str]:
    """``href`` as the visits report it (from the book's root) -> (page, fragment)."""
    path, _, fragment = href.partition("#")
    return (path or current), urllib.parse.unquote(fragment)


def _is_local(href: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE)


# --------------------------------------------------------------------------- tests


def test_every_page_loads_offline_without_console_errors(visits, pages, foreign_requests):
    assert list(visits) == pages
    assert foreign_requests == [], f"requests to other hosts: {foreign_requests[:10]}"
    for name, visit in visits.items():
        assert visit.console_errors == [], f"{name}: {visit.console_errors}"
        assert visit.failed == [], f"{name}: {visit.failed}"


def test_sidebar_reaches_every_chapter(visits, pages):
    for name, visit in visits.items():
        assert visit.toc == pages, f"{name}: sidebar lists {visit.toc}"


def test_previous_and_next_links_walk_the_whole_book(visits, pages):
    forward, name = [pages[0]], pages[0]
    while visits[name].next:
        name = visits[name].next
        assert name not in forward, f"next links loop at {name}"
        forward.append(name)
    assert forward == pages
    backward, name = [pages[-1]], pages[-1]
    while visits[name].prev:
        name = visits[name].prev
        backward.append(name)
    assert backward == pages[::-1]


def test_internal_links_land_on_existing_targets(visits, book):
    checked = 0
    for name, visit in visits.items():
        for href in visit.links:
            if not _is_local(href):
                continue
            target, fragment = _page_and_fragment(href, name)
            if target.endswith(".html"):
                assert target in visits, f"{name}: link to missing page {href}"
                if fragment:
                    assert fragment in visits[target].ids, f"{name}: {href} has no target"
                    checked += 1
            else:
                assert (book / urllib.parse.unquote(target)).is_file(), f"{name}: {href} missing"
    # figures, tables, sections and citations are cross-referenced throughout the book
    assert checked >= 50, checked


def test_cross_reference_click_scrolls_to_its_target(browser, server, visits, foreign_requests):
    """A real click on a link into another chapter opens that page at the target."""
    # the first link into another chapter at a numbered target (Quarto links a chapter's own
    # heading without a fragment: then any such link will do)
    links = [
        (name, h)
        for name, v in visits.items()
        for h in v.links
        if re.fullmatch(r"chapters/\d\d-[\w-]+\.html(#(sec|fig|tbl)-[\w-]+)?", h)
        and not h.startswith(name)
    ]
    name, href = next(((n, h) for n, h in links if "#" in h), links[0])
    context = _context(browser, foreign_requests, viewport=DESKTOP)
    page = context.new_page()
    page.goto(server + name)
    # the link as written on the page is relative to it: found by the page and target it names
    page.locator(f'main a[href$="{href.rsplit("/", 1)[-1]}"]').first.click()
    page.wait_for_url(server + href)
    if "#" not in href:
        assert page.locator("main h1").count() == 1
        context.close()
        return
    fragment = href.split("#", 1)[1]
    top = page.evaluate(f"document.getElementById({fragment!r}).getBoundingClientRect().top")
    context.close()
    assert -2 <= top < 50, f"{href}: target at {top}px from the top of the window"


def test_search_finds_a_known_term(browser, server, visits, foreign_requests, engine, book):
    if engine == "quarto":
        _quarto_search_index_covers_the_book(book, visits)
        return
    context = _context(browser, foreign_requests, viewport=DESKTOP)
    page = context.new_page()
    page.goto(server + "index.html")
    title = page.evaluate("""() => {
      const a = [...document.querySelectorAll('#sidebar .toc a')]
        .find(a => a.getAttribute('href') === 'chapters/02-scale.html');
      return a.lastChild.textContent.trim();
    }""")  # "The scale of the exodus"
    page.fill("#search-input", title)
    results = page.locator("#search-results a")
    results.first.wait_for()
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(h.startswith("chapters/02-scale.html") for h in hrefs), (title, hrefs)
    results.filter(has_text=title).first.click()
    page.wait_for_url(re.compile(r"02-scale\.html"))
    assert page.locator("h1").inner_text().endswith(title)
    context.close()


def _quarto_search_index_covers_the_book(book: Path, visits) -> None:
    """Quarto's own search (its search.json, read by its search box): every page is in it."""
    import json

    entries = json.loads((book / "search.json").read_text(encoding="utf-8"))
    pages = {e["href"].split("#")[0] for e in entries}
    assert set(visits) <= pages, set(visits) - pages
    assert any("CITATION.cff" in e.get("text", "") for e in entries)


def test_search_works_from_file_urls(browser, book, foreign_requests, engine):
    """Opened straight from disk (no server), the book still searches offline."""
    if engine == "quarto":
        pytest.skip(
            "Quarto's search needs a server (it fetches search.json); "
            "its index is checked in test_search_finds_a_known_term"
        )
    context = _context(browser, foreign_requests, viewport=DESKTOP)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((book / "chapters" / "A3-how-to-cite.html").as_uri())
    page.fill("#search-input", "BibTeX")
    page.locator("#search-results a").first.wait_for()
    hrefs = page.eval_on_selector_all("#search-results a", "as => as.map(a => a.href)")
    context.close()
    assert errors == []
    assert any(h.startswith("file://") and "A3-how-to-cite.html" in h for h in hrefs), hrefs


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return response.read()


MAGIC = {".pdf": b"%PDF-", ".png": b"\x89PNG", ".zip": b"PK\x03\x04", ".ipynb": b"{"}


def test_downloads_exist(visits, server):
    seen: dict[str, str] = {}
    for name, visit in visits.items():
        for href in visit.downloads:
            assert _is_local(href), f"{name}: download from elsewhere: {href}"
            seen.setdefault(href, name)
    assert "exile-report.pdf" in seen
    assert "exile-report-data.zip" in {h for v in visits.values() for h in v.links}
    seen["exile-report-data.zip"] = "chapters/A3-how-to-cite.html"
    kinds = {Path(h).suffix for h in seen}
    assert {".pdf", ".png", ".svg", ".csv", ".zip"} <= kinds, kinds
    for href, name in sorted(seen.items()):
        body = _fetch(server + href)
        suffix = Path(href).suffix
        assert len(body) > 0, f"{name}: {href} is empty"
        if suffix in MAGIC:
            assert body.startswith(MAGIC[suffix]), f"{name}: {href} is not a {suffix} file"
        elif suffix == ".svg":
            assert b"<svg" in body[:2000], f"{name}: {href} is not an SVG"
        elif suffix == ".csv":
            header = body.decode("utf-8").splitlines()[0]
            assert "," in header, f"{name}: {href} has no CSV header: {header!r}"


def test_every_figure_has_alt_text_source_and_its_files(visits):
    figures = [(name, f) for name, v in visits.items() for f in v.figures]
    assert len(figures) >= 10, len(figures)
    for name, fig in figures:
        where = f"{name}#{fig['id']}"
        assert len(fig["alt"]) >= 20, f"{where}: alt text {fig['alt']!r}"
        assert fig["source"].startswith("Source"), f"{where}: source line {fig['source']!r}"
        kinds = {Path(h).suffix for h in fig["downloads"]}
        assert kinds >= {".png", ".svg", ".csv"}, f"{where}: downloads {fig['downloads']}"
        assert all(Path(h).stem == fig["id"] for h in fig["downloads"]), where


def test_headings_are_in_order(visits, engine):
    for name, visit in visits.items():
        levels = visit.headings
        if engine == "quarto" and name == "index.html":
            # Quarto's landing page opens with the book's title block (an h1) above the page's
            # own "# Preface": the rest must be in order as everywhere
            assert levels[:2] == [1, 1], levels
            levels = levels[1:]
        assert levels and levels[0] == 1 and levels.count(1) == 1, f"{name}: {levels}"
        jumps = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        assert jumps == [], f"{name}: heading levels skip {jumps}"


def test_no_serious_accessibility_violations(visits):
    found = {name: v.violations for name, v in visits.items() if v.violations}
    assert found == {}, found


def test_pages_fit_a_phone_screen(visits):
    for name, visit in visits.items():
        assert visit.phone_width <= PHONE["width"], f"{name}: {visit.phone_width}px wide"
        for image in visit.phone_images:
            assert image["right"] - image["left"] > PHONE["width"] / 2, f"{name}: {image} tiny"
            assert image["right"] <= PHONE["width"] + 1, f"{name}: {image} wider than the screen"
