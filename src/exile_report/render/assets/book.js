/* Sidebar toggle on narrow screens and an offline search over window.BOOK_SEARCH_INDEX
   (written by the renderer into search-index.js). No network, no libraries. */
(function () {
  "use strict";
  var toggle = document.querySelector(".sidebar-toggle");
  var sidebar = document.getElementById("sidebar");
  if (toggle && sidebar) {
    toggle.addEventListener("click", function () {
      var open = sidebar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // A date or an id in a table cell never breaks at its hyphen ("2022-" / "10-05" reads as two
  // things): each is wrapped in a no-wrap span (book.css); the text itself is unchanged.
  var token = /\b(\d{4}-\d{2}(?:-\d{2})?|[A-Z]{1,3}\d{2,4}(?:-\d+)?)\b/g;
  Array.prototype.forEach.call(document.querySelectorAll("td, th"), function (cell) {
    var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var text = node.nodeValue, last = 0, m, out = null;
      token.lastIndex = 0;
      while ((m = token.exec(text))) {
        out = out || document.createDocumentFragment();
        out.appendChild(document.createTextNode(text.slice(last, m.index)));
        var span = document.createElement("span");
        span.className = "nowrap";
        span.textContent = m[0];
        out.appendChild(span);
        last = m.index + m[0].length;
      }
      if (!out) return;
      out.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(out, node);
    });
  });

  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  if (!input || !list) return;
  if (input.form) {
    // searching happens as one types; Enter must not submit the form (and reload the page)
    input.form.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  function norm(s) {
    return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function snippet(text, term) {
    var i = norm(text).indexOf(term);
    if (i < 0) return text.slice(0, 120);
    var start = Math.max(0, i - 50);
    return (start > 0 ? "…" : "") + text.slice(start, start + 140) + "…";
  }

  function search(query) {
    var index = window.BOOK_SEARCH_INDEX || [];
    var terms = norm(query).split(/\s+/).filter(function (t) { return t.length > 1; });
    list.textContent = "";
    if (!terms.length) return;
    var hits = [];
    index.forEach(function (entry) {
      var title = norm(entry.t), body = norm(entry.x);
      var score = 0;
      for (var k = 0; k < terms.length; k++) {
        var inTitle = title.indexOf(terms[k]) >= 0, inBody = body.indexOf(terms[k]) >= 0;
        if (!inTitle && !inBody) return;
        score += inTitle ? 3 : 1;
      }
      hits.push({ entry: entry, score: score });
    });
    hits.sort(function (a, b) { return b.score - a.score; });
    if (!hits.length) {
      var none = document.createElement("li");
      none.textContent = "No matches";
      list.appendChild(none);
      return;
    }
    hits.slice(0, 20).forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      // entry.p is relative to the book root; data-root leads there from this page's folder
      var root = document.documentElement.getAttribute("data-root") || "";
      a.href = root + hit.entry.p + (hit.entry.id ? "#" + hit.entry.id : "");
      a.textContent = hit.entry.t;
      var p = document.createElement("span");
      p.className = "search-snippet";
      p.textContent = snippet(hit.entry.x, terms[0]);
      li.appendChild(a);
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  input.addEventListener("input", function () { search(input.value); });
})();
