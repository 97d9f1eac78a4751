"""The built-in front end on the conformance book (tests/conformance): numbering and
cross-references as Quarto documents them, cell options, and failures that name their place."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from exile_report.render.frontend import load_book, numbered_markdown, split_cell_options
from exile_report.render.model import RenderError

BOOK = Path(__file__).parent / "conformance"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_book(BOOK, None, tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="module")
def numbered(book):
    """Each chapter as the writers read it, after crossref.lua numbered it."""
    return numbered_markdown(book)


@pytest.fixture
def project(tmp_path):
    """A private copy of the conformance book to break in one place."""
    dest = tmp_path / "book"
    shutil.copytree(BOOK, dest)
    return dest


def chapter(book, key):
    return next(c for c in book.chapters if c.key == key)


def notebook(project) -> tuple[Path, dict]:
    path = project / "chapters" / "02-data.ipynb"
    return path, json.loads(path.read_text(encoding="utf-8"))


def cell_index(nb: dict, label: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if f"label: {label}" in "".join(c["source"]))


def load(project):
    return load_book(project, None, project / "_media")


# ----------------------------------------------------------------------------- structure


def test_chapters_are_numbered_like_a_quarto_book(book):
    got = [(c.key, c.kind, c.number, c.title, c.sec_id) for c in book.chapters]
    assert got == [
        ("index", "preface", None, "Preface", "sec-preface"),
        ("01-method", "chapter", "1", "Method", "sec-method"),
        ("02-data", "chapter", "2", "Data", "sec-data"),
        ("a-sources", "appendix", "A", "Data and sources", "sec-sources"),
    ]
    assert book.title == "Conformance Book"
    assert book.authors == ["Ada Example", "Grace Sample"]
    assert book.date == "2024-05-01"


def test_sections_are_numbered_per_chapter_and_unnumbered_ones_are_skipped(numbered):
    md = numbered["01-method"]
    assert "## [1.1]{.header-section-number} Definitions {#sec-definitions}" in md
    assert "### [1.1.1]{.header-section-number} Edge cases {#sec-edge}" in md
    assert "## Unnumbered aside {#unnumbered-aside .unnumbered}" in md
    assert "## [1.2]{.header-section-number} Second section {#sec-second}" in md
    assert "[A.1]{.header-section-number} Files" in numbered["a-sources"]
    # the preface is unnumbered, so are its sections
    assert "header-section-number" not in numbered["index"]


def test_figures_and_tables_are_numbered_per_chapter_with_the_number_in_the_caption(numbered):
    method, data, apx = (numbered[k] for k in ("01-method", "02-data", "a-sources"))
    assert "![Figure 1.1: A diagram drawn by hand](chapters/diagram.svg){#fig-diagram" in method
    assert ": Table 1.1: Steps of the method {#tbl-steps}" in method
    assert "![Figure 2.1: People in exile by year, citing [@roe2021]](figures/fig-line.svg)" in data
    assert "![Figure 2.2: Bars](02-data_files/fig-bars.png)" in data
    assert ": Table 2.1: Counts by year {#tbl-counts}" in data
    assert ": Table A.1: Files shipped with the book {#tbl-files}" in apx


def test_crossref_forms_documented_by_quarto(book, numbered):
    md = numbered["index"]
    assert f"[Chapter{NBSP}1](#sec-method){{.quarto-xref}}" in md  # @sec- on a chapter
    assert f"[Figure{NBSP}2.1](#fig-line){{.quarto-xref}} shows" in md  # @fig-x
    assert "[2.1](#tbl-counts){.quarto-xref} is the number only" in md  # [-@tbl-x]
    assert f"See also [Figure{NBSP}2.1](#fig-line)" in md  # @Fig-x
    assert f"[Fig{NBSP}2.2](#fig-bars){{.quarto-xref}} (custom prefix)" in md  # [Fig @fig-x]
    assert (
        f"together: [Figure{NBSP}2.1](#fig-line){{.quarto-xref}}, "
        f"[Figure{NBSP}2.2](#fig-bars){{.quarto-xref}}."
    ) in md  # [@a; @b]
    assert f"[Appendix{NBSP}A](#sec-sources)" in md  # appendix chapter
    assert f"[Section{NBSP}A.1](#sec-sources-files)" in md  # appendix section
    data = numbered["02-data"]
    assert f"[Section{NBSP}1.1.1](#sec-edge)" in data
    assert f"[Chapter{NBSP}1](#sec-method)" in data  # @Sec-method
    assert book.targets["fig-line"] == "02-data"
    assert book.targets["tbl-steps"] == "01-method"


def test_code_emails_and_citations_are_not_crossrefs(book, numbered):
    md = numbered["index"]
    assert "`@fig-not-a-ref`" in md
    assert "# a code block: @fig-nope and [@nokey] here are not references" in md
    assert "someone@example.org" in md
    method = numbered["01-method"]
    assert f"[@roe2021, p.{NBSP}4; see @unhcr2024]" in method  # citations stay for citeproc
    # in order of first use ("following @doe2020" comes first)
    assert book.meta["cited"]["01-method"] == ["doe2020", "roe2021", "unhcr2024"]
    assert book.meta["cited"]["index"] == []


def test_variables_shortcode(book):
    assert "counts 1,234 people, using data from\n2023." in chapter(book, "index").markdown
    assert "(1,234 people)" in chapter(book, "02-data").markdown


def test_notebook_cells(book):
    md = chapter(book, "02-data").markdown
    assert "year = 20" not in md  # parameters / injected-parameters hidden
    assert "hidden output" not in md and "secret_setup" not in md  # include: false
    assert "save_figure" not in md  # echo: false from _quarto.yml
    assert "``` {.python .cell-code}\ntotal = sum([10, 12, 30, 25])" in md  # echo: true
    assert "``` {.cell-output}\n77\n```" in md  # stdout as a code block
    assert "``` {.cell-output}\n4\n```" in md  # text/plain result
    assert "Generated **markdown** with a list:\n\n- one\n- two" in md  # output: asis
    assert 'fig-alt="A line rising from 10 in 2020 to 30 in 2022, then falling to 25."' in md
    # SVG preferred, PNG kept; the build's download files are used when they hold the same bytes
    assert "](figures/fig-line.svg){#fig-line" in md and 'png="figures/fig-line.png"' in md
    assert "[Source: made-up test values]{.figure-source}" in md
    assert (
        "[[PNG](figures/fig-line.png) · [SVG](figures/fig-line.svg) · "
        "[Data (CSV)](figures/fig-line.csv)]{.figure-downloads}"
    ) in md
    assert "[[Data (CSV)](figures/tbl-counts.csv)]{.figure-downloads}" in md
    # the "Source: …" paragraph printed under a table joins its downloads, styled as a source
    assert (
        "{#tbl-counts}\n\n::: {.figure-meta}\n[Source: made-up test values]{.figure-source}\n"
        "[[Data (CSV)](figures/tbl-counts.csv)]{.figure-downloads}"
    ) in md
    assert "\nSource: made-up test values\n" not in md
    for rel in (
        "figures/fig-line.svg",
        "02-data_files/fig-bars.png",
        "figures/fig-line.csv",
        "chapters/diagram.svg",
    ):
        assert book.resources[rel].is_file()
    assert chapter(book, "02-data").notebook.name == "02-data.ipynb"


def test_cell_options_are_yaml():
    options, code = split_cell_options(
        '#| label: fig-a\n#| fig-cap: "A: b"\n#| echo: true\nx = 1', "x"
    )
    assert options == {"label": "fig-a", "fig-cap": "A: b", "echo": True}
    assert code == "x = 1"


def test_executed_notebook_replaces_the_source(project, tmp_path):
    _, nb = notebook(project)
    executed = tmp_path / "executed.ipynb"
    nb["cells"][2]["source"] = ["# Data {#sec-data}\n\nExecuted version."]
    executed.write_text(json.dumps(nb), encoding="utf-8")
    book = load_book(project, {"chapters/02-data.ipynb": executed}, tmp_path / "media")
    data = chapter(book, "02-data")
    assert "Executed version." in data.markdown
    assert data.notebook == executed


# ----------------------------------------------------------------------------- failures


def fails(project, *patterns):
    with pytest.raises(RenderError) as info:
        load(project)
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    return message


def test_missing_alt_text_in_a_notebook_names_chapter_cell_and_label(project):
    path, nb = notebook(project)
    i = cell_index(nb, "fig-bars")
    nb["cells"][i]["source"] = [line for line in nb["cells"][i]["source"] if "fig-alt" not in line]
    path.write_text(json.dumps(nb), encoding="utf-8")
    fails(project, r"chapters/02-data\.ipynb", rf"cell {i}\b", "fig-bars", "fig-alt")


def test_missing_alt_text_in_a_qmd_names_the_line(project):
    path = project / "chapters" / "01-method.qmd"
    text = path.read_text().replace(' fig-alt="Three boxes joined by arrows, left to right."', "")
    path.write_text(text)
    line = text.splitlines().index(next(ln for ln in text.splitlines() if "#fig-diagram" in ln))
    fails(project, rf"chapters/01-method\.qmd: line {line + 1}\b", "fig-diagram", "fig-alt")


def test_unknown_crossref_names_file_and_line(project):
    path = project / "chapters" / "a-sources.qmd"
    path.write_text(path.read_text() + "\nSee @fig-nope.\n")
    n = len(path.read_text().splitlines())
    fails(project, rf"chapters/a-sources\.qmd: line {n}\b", "unresolved cross-reference @fig-nope")


def test_unknown_crossref_in_a_notebook_names_the_cell(project):
    path, nb = notebook(project)
    nb["cells"][3]["source"] = ["## A figure\n", "\n", "See @tbl-nope."]
    path.write_text(json.dumps(nb), encoding="utf-8")
    fails(project, r"02-data\.ipynb: cell 3, line 3", "@tbl-nope")


def test_unknown_citation_names_key_and_chapter(project):
    path = project / "chapters" / "01-method.qmd"
    path.write_text(path.read_text() + "\nAs argued [@nobody1999].\n")
    fails(project, "@nobody1999", r"chapter chapters/01-method\.qmd", "bibliography")


def test_duplicate_label_names_both_places(project):
    path = project / "chapters" / "a-sources.qmd"
    path.write_text(path.read_text() + "\n## Again {#sec-method}\n")
    fails(
        project,
        "duplicate id #sec-method",
        r"a-sources\.qmd: line \d+",
        r"first at chapters/01-method\.qmd: line \d+",
    )


def test_duplicate_figure_label_across_chapters(project):
    path = project / "chapters" / "a-sources.qmd"
    path.write_text(path.read_text() + '\n![x](diagram.svg){#fig-line fig-alt="x"}\n')
    fails(project, "duplicate id #fig-line", r"02-data\.ipynb: cell \d+ \(label fig-line\)")


def test_error_output_fails_with_cell_and_label(project):
    path, nb = notebook(project)
    i = cell_index(nb, "tbl-counts")
    nb["cells"][i]["outputs"].append(
        {"output_type": "error", "ename": "KeyError", "evalue": "'year'", "traceback": []}
    )
    path.write_text(json.dumps(nb), encoding="utf-8")
    fails(project, rf"02-data\.ipynb: cell {i} \(label tbl-counts\)", "KeyError")


def test_error_in_a_hidden_cell_still_fails(project):
    path, nb = notebook(project)
    nb["cells"][0]["outputs"] = [
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}
    ]
    path.write_text(json.dumps(nb), encoding="utf-8")
    fails(project, r"02-data\.ipynb: cell 0\b", "ValueError")


def test_stderr_warning_is_an_error(project):
    path, nb = notebook(project)
    i = cell_index(nb, "fig-line")
    nb["cells"][i]["outputs"].insert(
        0,
        {
            "output_type": "stream",
            "name": "stderr",
            "text": "FutureWarning: something will change\n",
        },
    )
    path.write_text(json.dumps(nb), encoding="utf-8")
    fails(project, rf"cell {i} \(label fig-line\)", "stderr", "FutureWarning")


def test_unknown_variable_names_its_place(project):
    path = project / "index.qmd"
    path.write_text(path.read_text().replace("{{< var people_total >}}", "{{< var nope >}}"))
    fails(project, r"index\.qmd: line 3\b", "var nope")


def test_crossref_and_citation_in_one_bracket_fail(project):
    path = project / "chapters" / "a-sources.qmd"
    path.write_text(path.read_text() + "\nSee [@fig-line; @doe2020].\n")
    fails(project, "mixes cross-references and citations")


def test_figure_without_caption_fails(project):
    path, nb = notebook(project)
    i = cell_index(nb, "fig-bars")
    nb["cells"][i]["source"] = [ln for ln in nb["cells"][i]["source"] if "fig-cap" not in ln]
    path.write_text(json.dumps(nb), encoding="utf-8")
    fails(project, rf"cell {i}", "fig-bars has no fig-cap")


def test_missing_download_file_fails(project):
    (project / "figures" / "fig-line.csv").unlink()
    fails(project, r"02-data\.ipynb: cell \d+ \(label fig-line\)", "figures/fig-line.csv not found")


def test_a_stale_download_file_is_not_shown_as_the_figure(project):
    (project / "figures" / "fig-line.svg").write_text("<svg>an older run</svg>")
    book = load(project)
    md = chapter(book, "02-data").markdown
    assert "](02-data_files/fig-line.svg){#fig-line" in md  # the notebook's own output
    assert 'png="figures/fig-line.png"' in md  # the PNG still matches
    assert book.resources["02-data_files/fig-line.svg"].read_bytes().startswith(b"<?xml")


def test_escaped_shortcodes_includes_and_links_read_as_quarto_reads_them(project):
    """``{{{< … >}}}`` shows the shortcode as written; ``{{< include >}}`` and relative links
    resolve from the including file's folder (Quarto's rules), links ending book-relative."""
    (project / "chapters" / "_snippet.qmd").write_text(
        "Included: year {{< var people_total >}}, [the data](../figures/fig-line.csv).\n"
    )
    path = project / "chapters" / "01-method.qmd"
    path.write_text(
        path.read_text() + "\nLiteral `{{{< var people_total >}}}` here.\n\n"
        "{{< include _snippet.qmd >}}\n\nSee [the bundle](../bundle.zip).\n"
    )
    md = numbered_markdown(load(project))["01-method"]  # links as the writers get them
    assert "Literal `{{< var people_total >}}` here." in md
    assert "Included: year 1,234, [the data](figures/fig-line.csv)." in md
    assert "See [the bundle](bundle.zip)." in md
    assert "{{< include" not in md


def test_missing_include_names_its_place(project):
    path = project / "chapters" / "01-method.qmd"
    path.write_text(path.read_text() + "\n{{< include _nowhere.qmd >}}\n")
    fails(project, r"01-method\.qmd: line \d+", "cannot include _nowhere.qmd")
