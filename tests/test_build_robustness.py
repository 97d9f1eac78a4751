"""A build that cannot lie or break: every bad input is refused with a message naming the place,
exits non-zero, and leaves the last good book in ``_book/`` exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import run_cli


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _corrupt_value(repo: Path) -> None:
    path = repo / "data/processed/unhcr_population_origin_year.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[2] = "12x"  # a count that is not a number
    lines[1] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")


def _truncate(repo: Path) -> None:
    path = repo / "data/processed/unhcr_applications.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _append(repo: Path, notebook: str, cell) -> None:
    path = repo / notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(cell)
    nbformat.write(nb, path)


def _add_cell(repo: Path, notebook: str, source: str) -> None:
    _append(repo, notebook, nbformat.v4.new_code_cell(source))


def _add_markdown(repo: Path, notebook: str, text: str) -> None:
    _append(repo, notebook, nbformat.v4.new_markdown_cell(text))


FIG_NO_ALT = """#| label: fig-no-alt
#| fig-cap: "A figure without alt text"
import pandas as pd
from exile_report.plotting import new_figure, save_figure
fig, ax = new_figure()
ax.plot([1, 2], [3, 4])
save_figure(fig, "fig-no-alt", data=pd.DataFrame({"x": [1, 2]}), source="test",
            columns={"x": ("", "A value")})
"""

# (id, build arguments, a change to make first (or None), exit code, pattern the message must match)
CASES = [
    (
        "unknown-chapter",
        ["--param", "histroy.start_year=1900"],
        None,
        2,
        r"unknown chapter 'histroy' \(did you mean 'history'\?\)",
    ),
    (
        "unknown-parameter",
        ["--param", "history.start_yr=1900"],
        None,
        2,
        r"unknown parameter history\.start_yr",
    ),
    (
        "wrong-type",
        ["--param", "history.start_year=early"],
        None,
        2,
        r"history\.start_year: expected a whole number, got 'early'",
    ),
    (
        "out-of-range",
        ["--param", "asylum-law.top_n=0"],
        None,
        2,
        r"asylum-law\.top_n: 0 is below the minimum 1",
    ),
    (
        "years-reversed",
        ["--param", "history.start_year=2020", "--param", "history.end_year=1990"],
        None,
        2,
        r"parameters of history: start_year \(2020\) is after end_year \(1990\)",
    ),
    (
        "host-without-any-figure",
        ["--param", "scale.hosts=[ARM, NOR]"],
        None,
        2,
        r"\Aerror: parameters of scale: host 'NOR' has no figure in estimates\.csv or [^\n]*\n\Z",
    ),
    (
        "as-of-not-a-date",
        ["--param", "host-states.as_of=last-summer"],
        None,
        2,
        r"host-states\.as_of: expected a date YYYY-MM-DD, got 'last-summer'",
    ),
    (
        "unknown-origin",
        ["--param", "asylum-law.origins=[RUS, XYZ]"],
        None,
        2,
        r"asylum-law\.origins: 'XYZ' is not allowed",
    ),
    (
        "code-as-parameter",
        ["--param", "asylum-law.top_n=__import__('os').getcwd()"],
        None,
        2,
        r"asylum-law\.top_n: expected a whole number",
    ),
    ("bad-override-syntax", ["--param", "history"], None, 2, r"expected CHAPTER\.NAME=VALUE"),
    ("unknown-chapter-flag", ["--chapter", "epilogue"], None, 2, r"unknown chapter 'epilogue'"),
    ("unknown-set", ["--set", "since-1066"], None, 2, r"unknown parameter set 'since-1066'"),
    (
        "malformed-params-yml",
        [],
        lambda r: _edit(r / "params.yml", "sets:", "sets: ["),
        2,
        r"params\.yml: line \d+, column \d+: malformed YAML",
    ),
    (
        "params-yml-unknown-parameter",
        ["--set", "russia-only"],
        lambda r: _edit(r / "params.yml", "{origins: [RUS]}", "{origins: [RUS], colour: red}"),
        2,
        r"set russia-only: unknown parameter asylum-law\.colour",
    ),
    (
        "params-yml-defaults-section",
        [],
        lambda r: _edit(r / "params.yml", "sets:", "defaults:\n  asylum-law: {top_n: 5}\nsets:"),
        2,
        r"params\.yml: a 'defaults' section is not read",
    ),
    (
        "missing-data-file",
        [],
        lambda r: (r / "data/processed/uk_grant_rates.csv").unlink(),
        1,
        r"uk_grant_rates\.csv",
    ),
    ("truncated-data-file", [], _truncate, 1, r"unhcr_applications\.csv"),
    ("corrupted-value", [], _corrupt_value, 1, r"unhcr_population_origin_year\.csv"),
    (
        "curated-edited",
        [],
        lambda r: _edit(r / "data/curated/timeline.csv", ",", ";"),
        1,
        r"timeline\.csv",
    ),
    (
        "missing-notebook",
        [],
        lambda r: (r / "chapters/03-host-states.ipynb").unlink(),
        1,
        r"chapter host-states: notebook chapters/03-host-states\.ipynb not found",
    ),
    (
        "notebook-raises",
        [],
        lambda r: _add_cell(
            r, "chapters/02-scale.ipynb", "raise RuntimeError('deliberate failure')"
        ),
        1,
        r"chapter scale .*cell \d+.*RuntimeError: deliberate failure",
    ),
    (
        "notebook-warns",
        [],
        lambda r: _add_cell(
            r,
            "chapters/04-asylum-law.ipynb",
            "#| label: fig-warns\nimport warnings\nwarnings.warn('a warning')",
        ),
        1,
        r"chapter asylum-law, cell \d+ \(fig-warns\): wrote to stderr.*a warning",
    ),
    (
        "figure-without-alt",
        [],
        lambda r: _add_cell(r, "chapters/01-history.ipynb", FIG_NO_ALT),
        1,
        r"fig-no-alt.*(alt|fig-alt)",
    ),
    (
        "unknown-citation",
        [],
        lambda r: _add_markdown(r, "chapters/01-history.ipynb", "As shown [@nobody_2099_nothing]."),
        1,
        r"nobody_2099_nothing",
    ),
    (
        "unresolved-crossref",
        [],
        lambda r: _add_markdown(r, "chapters/02-scale.ipynb", "See @fig-does-not-exist."),
        1,
        r"fig-does-not-exist",
    ),
    # ---- issue 21: every case below failed before (exit 0 with a wrong book, or a traceback)
    # 3. validation is never skipped because a hash matches
    (
        "schema-tightened",
        [],
        lambda r: _edit(
            r / "src/exile_report/tables.yml",
            "{name: quarter, type: integer, ge: 1, le: 4,",
            "{name: quarter, type: integer, ge: 1, le: 2,",
        ),
        1,
        r"uk_applications\.csv: column 'quarter'",
    ),
    # a malformed table declaration: one line naming the file, the table and the column
    (
        "table-declaration-malformed",
        [],
        lambda r: _edit(
            r / "src/exile_report/tables.yml",
            "{name: quarter, type: integer, ge: 1, le: 4,",
            "{name: quarter, type: integer, min: 1, le: 4,",
        ),
        1,
        (
            r"^error: src/exile_report/tables\.yml: "
            r"table 'uk_applications', column 'quarter': unknown key 'min'"
        ),
    ),
    (
        "hash-hand-edited",
        [],
        lambda r: _negative_count_with_matching_hash(r),
        1,
        r"unhcr_population_origin_year\.csv: column 'refugees', row 2",
    ),
    # 4. parameters: full match against known code lists, one printable line
    (
        "param-trailing-newline",
        ["--param", 'host-states.jurisdictions=["LVA\\n", EST]'],
        None,
        2,
        r"host-states\.jurisdictions: 'LVA\\n' is not one printable line",
    ),
    (
        "param-unknown-host",
        ["--param", "scale.hosts=[ARM, XYZ]"],
        None,
        2,
        r"scale\.hosts: 'XYZ' not among the ISO 3166-1 alpha-3 country codes",
    ),
    (
        "param-cyrillic-host",
        ["--param", "scale.hosts=[ARM, ЛВА]"],
        None,
        2,
        r"scale\.hosts: 'ЛВА' not among the ISO 3166-1",
    ),
    (
        "param-unknown-jurisdiction",
        ["--param", "host-states.jurisdictions=[EUU, XEU]"],
        None,
        2,
        r"host-states\.jurisdictions: 'XEU' not among",
    ),
    # 5. limits on YAML
    (
        "param-yaml-alias-bomb",
        [
            "--param",
            "scale.hosts="
            + "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b]",
        ],
        None,
        2,
        r"aliases \(\*a\) are not allowed",
    ),
    (
        "param-yaml-deep",
        ["--param", "scale.hosts=" + "[" * 1500 + "]" * 1500],
        None,
        2,
        r"nested deeper than \d+ levels",
    ),
    (
        "param-yaml-huge",
        ["--param", "scale.hosts=[" + ", ".join(["ARM"] * 3000) + "]"],
        None,
        2,
        r"more than the limit of",
    ),
    (
        "params-yml-alias",
        [],
        lambda r: _params_alias(r),
        2,
        r"params\.yml: YAML aliases \(\*s\) are not allowed",
    ),
    # 7. one line instead of a traceback
    ("jobs-negative", ["--jobs", "-1"], None, 2, r"--jobs.*expected a whole number of 1 or more"),
    (
        "params-yml-not-utf8",
        [],
        lambda r: (r / "params.yml").write_bytes(
            (r / "params.yml").read_bytes().replace(b"# Named", b"# Nam\xe8d")
        ),
        2,
        r"params\.yml: not UTF-8 text",
    ),
    (
        "quarto-yml-a-list",
        [],
        lambda r: (r / "_quarto.yml").write_text("- index.qmd\n"),
        1,
        r"_quarto\.yml: expected a mapping",
    ),
    (
        "datapackage-malformed",
        [],
        lambda r: (r / "data/datapackage.json").write_text("{"),
        1,
        r"datapackage\.json: malformed",
    ),
    (
        "source-date-epoch-invalid",
        [],
        None,
        2,
        r"SOURCE_DATE_EPOCH='yesterday'",
        {"SOURCE_DATE_EPOCH": "yesterday"},
    ),
    (
        "read-only-or-full-disk",
        [],
        lambda r: _sitecustomize(r, _FULL_DISK),
        1,
        r"^error: No space left on device: .*_book",
        None,
    ),
    # 2. no partial book: whatever the engine did, an incomplete book is never published
    (
        "no-typst",
        [],
        lambda r: (r / "src/typst.py").write_text("raise ImportError('typst is not installed')\n"),
        1,
        r"the PDF cannot be made: typst does not import",
    ),
    (
        "quarto-exits-0-without-output",
        ["--engine", "quarto"],
        lambda r: _fake_tool(r, "quarto", "mkdir -p _book\n"),
        1,
        r"quarto render gave an incomplete book, not published: missing index\.html",
    ),
    (
        "notebook-unknown-to-executor",
        [],
        lambda r: _list_unknown_notebook(r),
        1,
        r"_quarto\.yml lists chapters/A4-extra\.ipynb, which no chapter declares",
    ),
    (
        "pandoc-missing",
        [],
        lambda r: _fake_pypandoc(r),
        1,
        r"pandoc: the pinned binary .* is missing",
    ),
    # 5. limits on every cell
    (
        "cell-hangs",
        [],
        lambda r: _add_cell(r, "chapters/02-scale.ipynb", "import time\ntime.sleep(600)"),
        1,
        r"chapter scale .*cell \d+: still running after 30 s",
        {"EXILE_CELL_TIMEOUT": "30"},
    ),
    (
        "cell-prints-without-end",
        [],
        lambda r: _add_cell(r, "chapters/02-scale.ipynb", "for i in range(300_000):\n    print(i)"),
        1,
        r"chapter scale .*cell \d+: printed more than",
    ),
]


def _params_alias(repo: Path) -> None:
    _edit(repo / "params.yml", "  russia-only:\n", "  russia-only: &s\n")
    path = repo / "params.yml"
    path.write_text(path.read_text(encoding="utf-8") + "  again: *s\n", encoding="utf-8")


def _negative_count_with_matching_hash(repo: Path) -> None:
    """A refugee count of -2,116,011 with the descriptor's hash edited to match the new bytes."""
    import json

    path = repo / "data/processed/unhcr_population_origin_year.csv"
    _edit(path, "1951,WLD,2116011,", "1951,WLD,-2116011,")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    dp = repo / "data/datapackage.json"
    doc = json.loads(dp.read_text(encoding="utf-8"))
    for res in doc["resources"]:
        if res["path"].endswith(path.name):
            res["hash"], res["bytes"] = f"sha256:{digest}", path.stat().st_size
    dp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


_FULL_DISK = """
import os, errno
_replace = os.replace
def _full(src, dst, *a, **k):
    if "_book.new-" in str(src):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
    return _replace(src, dst, *a, **k)
os.replace = _full
"""


def _sitecustomize(repo: Path, code: str) -> None:
    """Code run at interpreter start in the build process (and its kernels) of ``repo``: how a
    full disk or a read-only folder is simulated (the tests run as root, so chmod cannot)."""
    (repo / "src" / "sitecustomize.py").write_text(code)


def _fake_tool(repo: Path, name: str, script: str) -> None:
    """An executable ``name`` in ``repo/fakebin`` (put on PATH by the test)."""
    folder = repo / "fakebin"
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)


def _fake_pypandoc(repo: Path) -> None:
    """A pypandoc without its bundled binary (as after a broken install)."""
    pkg = repo / "src" / "pypandoc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("def get_pandoc_path():\n    return 'pandoc'\n")


def _list_unknown_notebook(repo: Path) -> None:
    """A notebook in _quarto.yml that no chapter declares: it was published unexecuted."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Extra {#sec-extra}\n\nA computed table follows."),
        nbformat.v4.new_code_cell("print(6 * 7)"),
    ]
    nbformat.write(nb, repo / "chapters/A4-extra.ipynb")
    _edit(
        repo / "_quarto.yml",
        "    - chapters/A3-how-to-cite.qmd\n",
        "    - chapters/A3-how-to-cite.qmd\n    - chapters/A4-extra.ipynb\n",
    )


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_book_untouched(scratch_repo, case):
    _id, args, change, code, pattern, *rest = case
    env = (rest[0] if rest else None) or {}
    book = scratch_repo / "_book"
    before = tree_hash(book)
    if change is not None:
        change(scratch_repo)
    if (scratch_repo / "fakebin").is_dir():
        env["PATH"] = f"{scratch_repo / 'fakebin'}{os.pathsep}{os.environ['PATH']}"
    proc = run_cli(scratch_repo, "build", *args, env=env)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    import re

    assert re.search(pattern, proc.stderr, re.MULTILINE), proc.stderr
    assert tree_hash(book) == before, "_book/ changed after a failed build"
    assert not list(scratch_repo.glob("_book.*")), "staging left behind"


def test_raw_checksum_mismatch_is_refused(scratch_repo, tmp_path):

    from _data_helpers import RAW as source

    if source is None:
        pytest.skip("raw snapshots not available (set EXILE_RAW_DIR)")
    copy = tmp_path / "raw"
    shutil.copytree(source, copy)
    target = copy / "uk-home-office-asylum" / "uk_outcomes_RUS_UKR_BLR.csv"
    target.write_bytes(target.read_bytes() + b"\n")
    before = tree_hash(scratch_repo / "data" / "processed")
    proc = run_cli(scratch_repo, "data", env={"EXILE_RAW_DIR": str(copy)})
    assert proc.returncode != 0
    assert "uk_outcomes_RUS_UKR_BLR.csv" in proc.stderr
    assert tree_hash(scratch_repo / "data" / "processed") == before


def test_interrupted_build_leaves_book_and_recovers(scratch_repo):
    book = scratch_repo / "_book"
    before = tree_hash(book)
    # Force every chapter to execute so the build is long enough to be killed mid-way.
    env = dict(os.environ, PYTHONPATH=str(scratch_repo / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "exile_report.cli", "build", "--param", "history.start_year=1900"],
        cwd=scratch_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(2.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tree_hash(book) == before, "_book/ changed by a killed build"
    again = run_cli(scratch_repo, "build", "--param", "history.start_year=1900")
    assert again.returncode == 0, again.stderr
    assert not list(scratch_repo.glob("_book.*"))
    assert not list((scratch_repo / "_build").rglob("*.running.ipynb"))


def test_death_mid_swap_restores_last_good_book(scratch_repo):
    book = scratch_repo / "_book"
    before = tree_hash(book)
    book.rename(scratch_repo / "_book.old-99999")  # as if killed between the two renames
    (scratch_repo / "_book.new-99999").mkdir()
    proc = run_cli(scratch_repo, "build", "--param", "history.start_year=bad")
    assert proc.returncode == 2
    assert tree_hash(book) == before
    assert not list(scratch_repo.glob("_book.*"))


def test_no_change_rebuild_executes_nothing(scratch_repo):
    proc = run_cli(scratch_repo, "build", env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr
    assert "no notebook executed" in proc.stdout
    assert "executed: none" in proc.stdout


def test_one_chapter_rebuild(scratch_repo):
    proc = run_cli(
        scratch_repo, "build", "--chapter", "scale", env={"SOURCE_DATE_EPOCH": "1767225600"}
    )
    assert proc.returncode == 0, proc.stderr
    assert "executed: scale;" in proc.stdout


# ------------------------------------------------------------------ issue 21: data is data

#: A curated text field carrying every kind of markup an attacker (or a careless paste) could
#: bring: HTML with script, a javascript: link, raw typst reading a file, a cross-reference,
#: emphasis, and text after a <script> tag that must not be swallowed.
PAYLOAD = (
    'Between 820,000 <img src=x onerror=alert(1)> <a href="javascript:alert(2)">click</a> '
    '`#read("/etc/hostname")`{=typst} *stars* @fig-scale-ladder '
    "<script>alert(3)</script> tail-after-script"
)


@pytest.fixture(scope="module")
def injected_repo(built_repo, tmp_path_factory) -> Path:
    """A copy whose curated conflicts table carries :data:`PAYLOAD` in a text field, with the
    descriptor regenerated (so the data are valid) and the book built."""
    import csv

    repo = tmp_path_factory.mktemp("injected") / "repo"
    shutil.copytree(built_repo, repo, symlinks=True)
    path = repo / "data/curated/conflicts.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    rows[0]["claim_a"] = PAYLOAD
    rows[0]["likely_reason"] = PAYLOAD
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    env = dict(os.environ, PYTHONPATH=str(repo / "src"))
    subprocess.run(
        [sys.executable, "-m", "exile_report.datapackage"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )
    proc = run_cli(repo, "build", env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert proc.returncode == 0, proc.stderr
    return repo


def _pdf_text(repo: Path) -> str:
    """The PDF's text on one line, typographic quotes straightened (pandoc makes them)."""
    (pdf,) = (repo / "_book").glob("*.pdf")  # a variant's PDF carries its name
    out = subprocess.run(
        ["pdftotext", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return " ".join(out.translate(str.maketrans("“”‘’", "\"\"''")).split())


def _html(repo: Path, page: str) -> str:
    """A built page by its file name: chapters and appendices are under chapters/, as in Quarto."""
    path = repo / "_book" / page
    if not path.is_file():
        path = repo / "_book" / "chapters" / page
    return path.read_text(encoding="utf-8")


DATA_AS_TEXT = [
    (
        "html-img-onerror",
        lambda r: (
            "<img src=x" not in _html(r, "A1-data-sources.html")
            and "&lt;img src=x onerror=alert(1)&gt;" in _html(r, "A1-data-sources.html")
        ),
    ),
    (
        "html-javascript-link",
        lambda r: (
            'href="javascript:' not in _html(r, "A1-data-sources.html")
            and "&lt;a href=“javascript:alert(2)”&gt;click&lt;/a&gt;"
            in _html(r, "A1-data-sources.html")
        ),
    ),
    (
        "html-script-keeps-rest-of-cell",
        lambda r: (
            "<script>alert" not in _html(r, "A1-data-sources.html")
            and "&lt;script&gt;alert(3)&lt;/script&gt; tail-after-script"
            in _html(r, "A1-data-sources.html")
        ),
    ),
    (
        "html-in-chapter-table",
        lambda r: (
            "<img src=x" not in _html(r, "02-scale.html")
            and "&lt;img src=x onerror=alert(1)&gt;" in _html(r, "02-scale.html")
        ),
    ),
    # The PDF's text is read back with pdftotext, which breaks lines inside narrow table
    # columns: each check looks for short pieces that never occur unless shown as text.
    ("typst-raw-read", lambda r: all(p in _pdf_text(r) for p in ('`#read("/etc/', "{=typst}"))),
    (
        "crossref-in-data",
        lambda r: (
            "*stars* @fig-scale" in _pdf_text(r)
            and "*stars* @fig-scale-ladder" in _html(r, "A1-data-sources.html")
        ),
    ),
    (
        "script-in-pdf-keeps-rest",
        lambda r: all(p in _pdf_text(r) for p in ("<script>alert(3)</", "tail-after-script")),
    ),
]


@pytest.mark.parametrize("case", DATA_AS_TEXT, ids=[c[0] for c in DATA_AS_TEXT])
def test_data_values_reach_html_and_pdf_as_text(injected_repo, case):
    _id, holds = case
    assert holds(injected_repo)


def test_every_page_carries_a_content_security_policy(built_repo):
    import html
    import re

    from exile_report.render.html import CSP

    pages = sorted((built_repo / "_book").rglob("*.html"))
    assert len(pages) >= 9
    for page in pages:
        text = page.read_text(encoding="utf-8")
        policies = re.findall(
            r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text
        )
        assert [html.unescape(p) for p in policies] == [CSP], page.name
        assert "onsubmit=" not in text and "<script>" not in text, page.name


# ------------------------------------------------------------------ issue 21: what is published


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _commit_all(repo: Path) -> None:
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot")


def _retouch_book(repo: Path) -> None:
    """A change that renders the book again without executing any chapter."""
    path = repo / "chapters/A3-how-to-cite.qmd"
    path.write_text(
        path.read_text(encoding="utf-8") + "\nThank you for citing.\n", encoding="utf-8"
    )


def _fake_newer_pandoc(repo: Path) -> None:
    _retouch_book(repo)
    _fake_tool(
        repo,
        "pandoc",
        'if [ "$1" = "--version" ]; then echo "pandoc 99.0"; exit 0; fi\n'
        'echo "not the pinned pandoc" >&2; exit 3\n',
    )


def _stray_files(repo: Path) -> None:
    (repo / "data/processed/.scratch.csv").write_text("a,b\n1,2\n")
    (repo / "data/curated/my-notes.csv").write_text("note\nunchecked\n")


def _zip_names(repo: Path) -> set[str]:
    import zipfile

    with zipfile.ZipFile(repo / "_book/exile-report-data.zip") as zf:
        return set(zf.namelist())


PUBLISHED = [
    # (id, change, environment, what must hold of the published book)
    (
        "stray-data-files-not-zipped",
        _stray_files,
        {},
        lambda r: not any(n.endswith(("scratch.csv", "my-notes.csv")) for n in _zip_names(r)),
    ),
    (
        "pinned-pandoc-used-over-PATH",
        _fake_newer_pandoc,
        {},
        lambda r: "Thank you for citing." in _html(r, "A3-how-to-cite.html"),
    ),
    (
        "python-warnings-default",
        lambda r: _add_markdown(r, "chapters/01-history.ipynb", "More."),
        {"PYTHONWARNINGS": "default"},
        lambda r: "More." in _html(r, "01-history.html"),
    ),
    (
        "path-in-cell-value-not-published",
        lambda r: _add_cell(r, "chapters/01-history.ipynb", "from pathlib import Path\nPath.cwd()"),
        {},
        lambda r: (
            str(r) not in _html(r, "01-history.html")
            and str(r) not in (r / "_book/notebooks/01-history.ipynb").read_text(encoding="utf-8")
        ),
    ),
    (
        "no-git-history-marked",
        _retouch_book,
        {},
        lambda r: (
            "source commit none" in _pdf_text(r)
            and "not a git checkout" in _pdf_text(r)
            and "the day of the build" in _pdf_text(r)
        ),
    ),
    (
        "dirty-tree-marked",
        lambda r: (_commit_all(r), _retouch_book(r)),
        {"SOURCE_DATE_EPOCH": "1767225600"},
        lambda r: (
            "-dirty" in _html(r, "A2-reproducing.html")
            and "built with uncommitted changes" in _pdf_text(r)
            and "variant" in _html(r, "A2-reproducing.html")
            and "uncommitted changes" in _pdf_text(r).split("Colophon")[0]  # the title page
            and list((r / "_book").glob("exile-report-variant-*-dirty.pdf"))
        ),
    ),
]


@pytest.mark.parametrize("case", PUBLISHED, ids=[c[0] for c in PUBLISHED])
def test_published_book_is_complete_and_truthful(scratch_repo, case):
    _id, change, env, holds = case
    change(scratch_repo)
    env = dict(env)
    if (scratch_repo / "fakebin").is_dir():
        env["PATH"] = f"{scratch_repo / 'fakebin'}{os.pathsep}{os.environ['PATH']}"
    proc = run_cli(scratch_repo, "build", env=env)
    assert proc.returncode == 0, proc.stderr
    assert holds(scratch_repo)


def test_zip_members_are_readable_once_extracted(built_repo):
    import zipfile

    with zipfile.ZipFile(built_repo / "_book/exile-report-data.zip") as zf:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in zf.infolist()}
    assert modes and all(mode == 0o644 for mode in modes.values()), modes


def test_bundle_refuses_a_listed_table_that_is_missing(scratch_repo, tmp_path):
    """A data file deleted mid-build: the bundle is not written without it."""
    from exile_report.data import DataError
    from exile_report.publish import write_data_bundle

    (scratch_repo / "data/processed/uk_grant_rates.csv").unlink()
    with pytest.raises(DataError, match=r"missing data/processed/uk_grant_rates\.csv"):
        write_data_bundle(scratch_repo, tmp_path)
    assert not (tmp_path / "exile-report-data.zip").exists()


def test_build_keeps_temporary_files_out_of_tmpdir_and_recovery_removes_them(
    scratch_repo, tmp_path
):
    """A killed build left exile-pdf-* and exile-render-* in $TMPDIR; now they live in
    _build/tmp/, which the next build removes."""
    import threading

    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    leftover = scratch_repo / "_build/tmp/exile-pdf-killed"
    leftover.mkdir(parents=True)
    _retouch_book(scratch_repo)
    seen: set[str] = set()
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen.update(p.name for p in system_tmp.iterdir() if p.name.startswith("exile-"))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        proc = run_cli(scratch_repo, "build", env={"TMPDIR": str(system_tmp)})
    finally:
        done.set()
        watcher.join()
    assert proc.returncode == 0, proc.stderr
    assert not seen, f"temporary folders in $TMPDIR: {seen}"
    assert not leftover.exists()


def test_ctrl_c_gives_one_line(scratch_repo):
    book = scratch_repo / "_book"
    before = tree_hash(book)
    env = dict(os.environ, PYTHONPATH=str(scratch_repo / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "exile_report.cli", "build", "--param", "history.start_year=1900"],
        cwd=scratch_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("error: interrupted"), err
    assert tree_hash(book) == before


def test_regenerate_command_the_data_error_suggests_gives_one_line(scratch_repo):
    _corrupt_value(scratch_repo)
    env = dict(os.environ, PYTHONPATH=str(scratch_repo / "src"))
    proc = subprocess.run(
        [sys.executable, "-m", "exile_report.datapackage"],
        cwd=scratch_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: datapackage.json not written"), proc.stderr
    assert "unhcr_population_origin_year.csv" in proc.stderr


def test_data_command_waits_for_a_running_build(scratch_repo):
    """`exile-report data` takes the build lock: it never rewrites tables a build is reading."""
    import fcntl

    raw = os.environ.get("EXILE_RAW_DIR")
    if not raw or not Path(raw).is_dir():
        pytest.skip("raw snapshots not available (set EXILE_RAW_DIR)")
    (scratch_repo / "_build").mkdir(exist_ok=True)
    before = tree_hash(scratch_repo / "data")
    env = dict(os.environ, PYTHONPATH=str(scratch_repo / "src"), EXILE_RAW_DIR=raw)
    with open(scratch_repo / "_build/build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [sys.executable, "-m", "exile_report.cli", "data"],
            cwd=scratch_repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(5)
        assert proc.poll() is None, "data ran while a build held the lock"
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert tree_hash(scratch_repo / "data") == before  # same snapshots: the same bytes
    assert not list((scratch_repo / "data").glob(".processed.*"))
