"""The HTML book in headless chromium: offline search from file://, the phone-width sidebar."""

from __future__ import annotations

from pathlib import Path

import pytest

from _chromium import find_chromium, missing_reason
from exile_report.render import render_book

BOOK = Path(__file__).parent / "conformance"
CHROMIUM = find_chromium()

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "book"
    render_book(BOOK, {}, out, engine="pandoc", pdf=False)
    return out


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip(missing_reason())
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_search_works_offline_from_file_urls(site, browser):
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((site / "index.html").as_uri())
    page.fill("#search-input", "trend")
    results = page.locator("#search-results a")
    results.first.wait_for()
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert "chapters/02-data.html#sec-figure" in hrefs
    results.filter(has_text="2.1 A figure").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/chapters/02-data.html#sec-figure")
    # from a page in chapters/, a result leads back up to the page it names
    page.fill("#search-input", "trend")
    page.locator("#search-results a").first.wait_for()
    page.locator("#search-results a").filter(has_text="Preface").first.click()
    page.wait_for_load_state()
    assert page.url == (site / "index.html").as_uri() + "#sec-preface"
    assert all(url.startswith("file://") for url in requests), requests
    page.close()


def test_sidebar_collapses_at_phone_width(site, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto((site / "chapters" / "02-data.html").as_uri())
    sidebar = page.locator("#sidebar")
    assert not sidebar.is_visible()
    page.click(".sidebar-toggle")
    assert sidebar.is_visible()
    assert page.get_attribute(".sidebar-toggle", "aria-expanded") == "true"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.close()
