"""The built book's tables on a phone (390 px wide, headless chromium): a table wider than the
screen scrolls inside a visible frame and its caption is read whole, never cut at the edge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.browser

TABLES = """() => [...document.querySelectorAll('table')].map(t => {
  const caption = t.querySelector('caption');
  const box = t.getBoundingClientRect();
  const style = getComputedStyle(t);
  return {
    id: (t.closest('[id]') || {}).id || '',
    scrolls: t.scrollWidth > t.clientWidth + 1,
    overflowX: style.overflowX,
    border: parseFloat(style.borderLeftWidth) > 0 && parseFloat(style.borderRightWidth) > 0,
    tableLeft: box.left, tableRight: box.right,
    captionLeft: caption ? caption.getBoundingClientRect().left : null,
    captionRight: caption ? caption.getBoundingClientRect().right : null,
    captionScroll: caption ? caption.scrollWidth - caption.clientWidth : 0,
  };
})"""


def test_wide_tables_scroll_in_a_frame_with_their_caption_whole_at_phone_width(built_repo):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed")
    pages = sorted((built_repo / "_book" / "chapters").glob("[0-9A]*.html"))
    seen_scrolling = 0
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 800})
        for html in pages:
            page.goto(html.as_uri())
            for table in page.evaluate(TABLES):
                where = f"{html.name} {table['id']}"
                assert table["tableRight"] <= 390, where  # the frame itself fits the screen
                if table["scrolls"]:
                    seen_scrolling += 1
                    assert table["overflowX"] == "auto", where
                    assert table["border"], f"{where}: a scrolling table needs a visible frame"
                if table["captionRight"] is not None:
                    assert table["captionLeft"] >= table["tableLeft"] - 1, where
                    assert table["captionRight"] <= table["tableRight"] + 1, f"{where}: caption cut"
                    assert table["captionScroll"] <= 0, where
        browser.close()
    assert seen_scrolling >= 3  # the book has wide tables: the check was not vacuous
