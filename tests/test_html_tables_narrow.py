"""The built book's tables on a phone (390 px wide, headless chromium), with either engine: a table
wider than the screen scrolls inside a visible frame with a cue that there is more, its caption
is read whole, never cut at the edge, and no date in a cell is broken at its hyphens."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.browser

TABLES = """() => [...document.querySelectorAll('main table, .content table')].map(t => {
  // the built-in HTML puts the caption in the table, Quarto in the figure around it
  const float = t.closest('figure, .quarto-float');
  const caption = t.querySelector('caption') || (float && float.querySelector('figcaption'));
  const dates = [];
  for (const cell of t.querySelectorAll('td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (const m of node.nodeValue.matchAll(/\\d{4}-\\d{2}-\\d{2}/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        dates.push([m[0], lines.size]);
      }
    }
  }
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
    cue: style.backgroundImage.includes('gradient'),
    dates: dates,
  };
})"""


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["builtin", "quarto"])
def test_wide_tables_scroll_in_a_frame_with_their_caption_whole_at_phone_width(request, engine):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed")
    built = request.getfixturevalue("built_repo" if engine == "builtin" else "built_repo_quarto")
    pages = sorted((built / "_book" / "chapters").glob("[0-9A]*.html"))
    seen_scrolling = seen_dates = 0
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
                    assert table["cue"], f"{where}: no shadow says there is more to scroll to"
                for date, lines in table["dates"]:
                    seen_dates += 1
                    assert lines == 1, f"{where}: {date} broken across {lines} lines"
                if table["captionRight"] is not None:
                    assert table["captionLeft"] >= table["tableLeft"] - 1, where
                    assert table["captionRight"] <= table["tableRight"] + 1, f"{where}: caption cut"
                    assert table["captionScroll"] <= 0, where
        browser.close()
    assert seen_scrolling >= 3  # the book has wide tables: the check was not vacuous
    assert seen_dates >= 20  # and dates in its tables
