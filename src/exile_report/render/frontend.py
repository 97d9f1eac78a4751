"""Front end of the built-in engine: a Quarto book project -> a :class:`Book` of pandoc markdown.

It reads ``_quarto.yml`` (``project: type: book``) the way Quarto does and turns every chapter
(``.qmd`` or an already executed ``.ipynb``) into format-neutral pandoc markdown. Numbering
(chapters, sections, figures and tables, the way Quarto numbers a book) and ``@fig-``/``@tbl-``/
``@sec-`` cross-references are done on pandoc's document tree by ``crossref.lua``, which every
writer's pandoc run applies first; here one pandoc run of the same filter checks the whole book
(targets, alt text, headings) and reports the numbers, and every other ``@key`` is checked
against the bibliography.

Nothing is executed here. Every problem raises :class:`RenderError` naming the file and the place
(line of a ``.qmd``, cell of a notebook), because a report that silently drops a figure or shows
``??`` instead of a number is worse than a failed build.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import CROSSREF_FILTER, Book, Chapter, RenderError

HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}

#: stderr text a cell may print without failing the render (regular expressions, matched against
#: each non-empty line). Empty on purpose: a warning in an executed chapter is a bug to fix at its
#: source. Add a pattern here only with a comment saying why the warning is harmless.
STDERR_ALLOW: tuple[re.Pattern, ...] = ()

VAR_RE = re.compile(r"\{\{<\s*var\s+([\w.\-]+)\s*>\}\}")
#: Quarto's escaped shortcode, ``{{{< var x >}}}``: shown as written, ``{{< var x >}}``.
VAR_OR_ESCAPED_RE = re.compile(r"\{\{\{<(?P<escaped>.*?)>\}\}\}|" + VAR_RE.pattern)


@dataclass
class Piece:
    """A run of markdown and where it came from, so that errors can point at a line or a cell."""

    text: str
    source: Path
    line: int | None = None  # 1-based line of the piece's first line in a .qmd
    cell: int | None = None  # 0-based cell index in a notebook
    label: str | None = None

    def where(self, pos: int = 0) -> str:
        offset = self.text.count("\n", 0, pos)
        if self.cell is not None:
            place = f"cell {self.cell}"
            if self.label:
                place += f" (label {self.label})"
            if offset:
                place += f", line {offset + 1}"
            return f"{self.source}: {place}"
        if self.line is not None:
            return f"{self.source}: line {self.line + offset}"
        return str(self.source)


# --------------------------------------------------------------------------- project config


def read_config(project_dir: Path) -> dict:
    """``_quarto.yml`` as a dict, checked to be a Quarto book project."""
    path = project_dir / "_quarto.yml"
    if not path.exists():
        raise RenderError(f"{path}: not found (a Quarto book project needs _quarto.yml)")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: invalid YAML: {exc}") from exc
    if (
        not isinstance(config, dict)
        or not isinstance(config.get("project") or {}, dict)
        or not isinstance(config.get("book") or {}, dict)
    ):
        raise RenderError(f"{path}: expected a mapping with project: and book: sections")
    if (config.get("project") or {}).get("type") != "book":
        raise RenderError(f"{path}: project: type: must be 'book'")
    if not (config.get("book") or {}).get("chapters"):
        raise RenderError(f"{path}: book: chapters: is empty")
    return config


#: What the built-in engine does with ``_quarto.yml`` options that shape the output, outside
#: ``format: typst:`` (see :func:`exile_report.render.pdf.typst_format_options`). ``fixed``: it
#: always does this, so the option is accepted with this value only; ``quarto-only``: styling of
#: Quarto's own pages (its Bootstrap theme, extra HTML), which the built-in engine's pages have
#: from their own stylesheet. Any other option is refused rather than silently ignored.
BUILTIN_OPTIONS = {
    "number-sections": ("fixed", True),
    "crossref": ("fixed", {"chapters": True}),
    "format.html.toc": ("fixed", True),
    "format.html.number-sections": ("fixed", True),
    "format.html.theme": ("quarto-only", None),
    "format.html.include-after-body": ("quarto-only", None),
}
#: the formats the built-in engine writes (typst: the PDF, whose options pdf.py reads)
BUILTIN_FORMATS = ("html", "typst")


def check_builtin_options(config: dict) -> None:
    """Refuse, in one line naming it, a ``_quarto.yml`` option that would make the built-in
    engine's book differ from what it says (``format: html: toc: false``, another format, …)."""
    where = "_quarto.yml"
    formats = config.get("format") or {}
    if not isinstance(formats, dict):
        raise RenderError(f"{where}: format: must be a mapping of formats")
    for name in formats:
        if name not in BUILTIN_FORMATS:
            raise RenderError(
                f"{where}: format: {name} is not made by the built-in engine (it makes"
                f" {' and '.join(BUILTIN_FORMATS)}); remove it or render with Quarto"
            )
    html = formats.get("html") or {}
    given = {k: config[k] for k in ("number-sections", "crossref") if k in config}
    given |= {f"format.html.{k}": v for k, v in (html.items() if isinstance(html, dict) else ())}
    for key, value in given.items():
        shown = key.replace(".", ": ")
        if key not in BUILTIN_OPTIONS:
            known = ", ".join(k.replace(".", ": ") for k in BUILTIN_OPTIONS)
            raise RenderError(
                f"{where}: {shown} is not supported by the built-in engine (supported: {known});"
                " remove it or render with Quarto"
            )
        kind, expected = BUILTIN_OPTIONS[key]
        if kind == "fixed" and value != expected:
            raise RenderError(
                f"{where}: {shown}: {value!r} is not supported by the built-in engine"
                f" (it always uses {expected!r})"
            )


def _flatten_chapters(entries: list, path: Path) -> list[str]:
    """Chapter files in order; ``- part: … chapters: […]`` entries are flattened as Quarto does."""
    files: list[str] = []
    for entry in entries or []:
        if isinstance(entry, str):
            files.append(entry)
        elif isinstance(entry, dict) and "chapters" in entry:
            files.extend(_flatten_chapters(entry["chapters"], path))
        elif isinstance(entry, dict) and "href" in entry:
            files.append(entry["href"])
        else:
            raise RenderError(f"{path}: cannot read chapter entry {entry!r}")
    return files


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _author_names(value) -> list[str]:
    names = []
    for author in _as_list(value):
        if isinstance(author, dict):
            name = author.get("name")
            if isinstance(name, dict):
                name = name.get("literal") or " ".join(
                    str(name[k]) for k in ("given", "family") if name.get(k)
                )
            names.append(str(name))
        else:
            names.append(str(author))
    return names


def read_variables(project_dir: Path) -> dict:
    path = project_dir / "_variables.yml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _lookup_var(variables: dict, name: str):
    value = variables
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(name)
        value = value[part]
    return value


def expand_vars(piece: Piece, variables: dict) -> str:
    """Replace ``{{< var name >}}`` shortcodes (Quarto's ``_variables.yml`` feature)."""

    def sub(match: re.Match) -> str:
        if match.group("escaped") is not None:
            return "{{<" + match.group("escaped") + ">}}"
        try:
            return str(_lookup_var(variables, match.group(2)))
        except KeyError:
            raise RenderError(
                f"{piece.where(match.start())}: unknown variable {{{{< var {match.group(2)} >}}}}"
                " (not in _variables.yml)"
            ) from None

    return VAR_OR_ESCAPED_RE.sub(sub, piece.text)


# --------------------------------------------------------------------------- attributes


def quote_attr(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def fence(text: str, classes: str) -> str:
    """A fenced code block that its content cannot close."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks} {{{classes}}}\n{text.rstrip()}\n{ticks}\n"


# --------------------------------------------------------------------------- .qmd


FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*\n", re.DOTALL)


def read_qmd(path: Path, shown: Path, variables: dict) -> tuple[dict, list[Piece]]:
    """A ``.qmd``: front matter (dict) and its body as one piece that keeps its line numbers."""
    text = path.read_text(encoding="utf-8")
    front, line = {}, 1
    m = FRONT_MATTER_RE.match(text)
    if m:
        try:
            front = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as exc:
            raise RenderError(f"{shown}: line 1: invalid front matter: {exc}") from exc
        line += text.count("\n", 0, m.end())
        text = text[m.end() :]
    piece = Piece(expand_includes(text, path, shown), shown, line=line)
    piece.text = expand_vars(piece, variables)
    return front, [piece]


INCLUDE_RE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}[ \t]*$", re.MULTILINE)


def expand_includes(text: str, path: Path, shown: Path, depth: int = 0) -> str:
    """Quarto's ``{{< include file >}}`` (a line of its own; the path relative to the including
    file): the file's text in its place. Line numbers after an include count the included lines.
    """

    def sub(m: re.Match) -> str:
        target = path.parent / m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        if depth > 5:
            raise RenderError(f"{shown}: line {line}: includes nested too deep ({m.group(1)})")
        try:
            included = target.read_text(encoding="utf-8")
        except OSError as exc:
            raise RenderError(f"{shown}: line {line}: cannot include {m.group(1)}: {exc}") from exc
        return expand_includes(included.strip("\n"), target, shown, depth + 1)

    return INCLUDE_RE.sub(sub, text)


# --------------------------------------------------------------------------- .ipynb


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def split_cell_options(source: str, where: str) -> tuple[dict, str]:
    """``#| key: value`` lines at the top of a code cell -> (options, remaining code)."""
    lines = source.split("\n")
    n = 0
    while n < len(lines) and lines[n].startswith("#|"):
        n += 1
    if not n:
        return {}, source
    text = "\n".join(line[2:] for line in lines[:n])
    try:
        # libyaml's safe loader: the pure-Python one costs half a second over the book's cells
        options = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{where}: invalid #| cell options: {exc}") from exc
    if not isinstance(options, dict):
        raise RenderError(f"{where}: #| cell options must be key: value pairs")
    return options, "\n".join(lines[n:]).strip("\n")


def _exile_meta(output: dict) -> dict:
    meta = output.get("metadata") or {}
    if "exile_report" in meta:
        return meta["exile_report"] or {}
    for value in meta.values():  # metadata keyed by mimetype
        if isinstance(value, dict) and "exile_report" in value:
            return value["exile_report"] or {}
    return {}


def _stderr_is_allowed(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(any(p.search(line) for p in STDERR_ALLOW) for line in lines)


def _downloads(files: dict, kinds: tuple[str, ...]) -> str:
    names = {"png": "PNG", "svg": "SVG", "csv": "Data (CSV)"}
    links = [f"[{names[k]}]({files[k]})" for k in kinds if files.get(k)]
    return " · ".join(links)


class NotebookReader:
    """Turns one executed notebook into pieces of markdown, writing its images to ``media_dir``."""

    def __init__(
        self,
        path: Path,
        shown: Path,
        key: str,
        media_dir: Path,
        echo_default: bool,
        variables: dict,
        resources: dict[str, Path],
        project_dir: Path,
    ):
        self.path, self.shown, self.key = path, shown, key
        self.media_dir, self.echo_default = media_dir, echo_default
        self.variables, self.resources, self.project_dir = variables, resources, project_dir

    def read(self) -> tuple[dict, list[Piece]]:
        try:
            nb = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RenderError(f"{self.shown}: cannot read notebook: {exc}") from exc
        front: dict = {}
        pieces: list[Piece] = []
        for index, cell in enumerate(nb.get("cells", [])):
            source = _joined(cell.get("source"))
            kind = cell.get("cell_type")
            if kind == "raw" and index == 0 and FRONT_MATTER_RE.match(source + "\n"):
                front = yaml.safe_load(FRONT_MATTER_RE.match(source + "\n").group(1)) or {}
            elif kind == "markdown":
                piece = Piece(source.strip("\n") + "\n", self.shown, cell=index)
                piece.text = expand_vars(piece, self.variables)
                pieces.append(piece)
            elif kind == "code":
                piece = self.code_cell(index, cell, source)
                if piece is not None:
                    pieces.append(piece)
        return front, pieces

    def code_cell(self, index: int, cell: dict, source: str) -> Piece | None:
        where = f"{self.shown}: cell {index}"
        options, code = split_cell_options(source, where)
        label = options.get("label")
        if label:
            where += f" (label {label})"
        outputs = cell.get("outputs") or []
        self.check_failures(outputs, where)  # even in hidden cells: a failure is never hidden
        tags = set((cell.get("metadata") or {}).get("tags") or [])
        if tags & HIDDEN_TAGS or options.get("include") is False:
            return None
        parts: list[str] = []
        echo = options.get("echo", self.echo_default)
        if echo is True and "remove-input" not in tags and code.strip():
            parts.append(fence(code, ".python .cell-code"))
        output_opt = options.get("output", True)
        if output_opt is not False and "remove-output" not in tags:
            images = [o for o in outputs if self._image_of(o)]
            if len(images) > 1:
                raise RenderError(f"{where}: {len(images)} image outputs; one figure per cell")
            for output in outputs:
                text = self.output_markdown(output, options, where, asis=output_opt == "asis")
                if text:
                    parts.append(text)
        if not parts:
            return None
        return Piece("\n".join(parts), self.shown, cell=index, label=label)

    def check_failures(self, outputs: list, where: str) -> None:
        for output in outputs:
            if output.get("output_type") == "error":
                raise RenderError(
                    f"{where}: the cell raised {output.get('ename')}: {output.get('evalue')}"
                )
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = _joined(output.get("text"))
                if text.strip() and not _stderr_is_allowed(text):
                    first = text.strip().splitlines()[0]
                    raise RenderError(
                        f"{where}: the cell wrote to stderr (warnings are errors): {first}"
                    )

    @staticmethod
    def _image_of(output: dict) -> bool:
        data = output.get("data") or {}
        return "image/svg+xml" in data or "image/png" in data

    def output_markdown(self, output: dict, options: dict, where: str, asis: bool) -> str:
        kind = output.get("output_type")
        if kind == "stream":
            text = _joined(output.get("text"))
            if not text.strip():
                return ""
            return text.strip("\n") + "\n" if asis else fence(text, ".cell-output")
        if kind not in ("display_data", "execute_result"):
            return ""
        data = output.get("data") or {}
        if self._image_of(output):
            return self.figure(data, _exile_meta(output), options, where)
        if "text/markdown" in data:
            return self.markdown_output(
                _joined(data["text/markdown"]), _exile_meta(output), options, where
            )
        if "text/plain" in data:
            text = _joined(data["text/plain"])
            return text.strip("\n") + "\n" if asis else fence(text, ".cell-output")
        return ""

    def figure(self, data: dict, meta: dict, options: dict, where: str) -> str:
        label = str(options.get("label") or "")
        if not label.startswith("fig-"):
            raise RenderError(f"{where}: an image output needs '#| label: fig-…'")
        caption = options.get("fig-cap")
        if not caption:
            raise RenderError(f"{where}: figure {label} has no fig-cap")
        alt = meta.get("alt") or options.get("fig-alt")  # computed from the data, if given
        if not alt or not str(alt).strip():
            raise RenderError(f"{where}: figure {label} has no fig-alt (alt text is required)")
        if meta.get("label") and meta["label"] != label:
            raise RenderError(f"{where}: figure metadata says {meta['label']}, cell label {label}")
        paths = {}
        images = {}
        if "image/svg+xml" in data:
            images["svg"] = _joined(data["image/svg+xml"]).encode("utf-8")
        if "image/png" in data:
            images["png"] = base64.b64decode(_joined(data["image/png"]))
        files = meta.get("files") or {}
        for kind, content in images.items():
            paths[kind] = self.image_file(label, kind, content, files.get(kind))
        src = paths.get("svg") or paths["png"]
        attrs = f"#{label} fig-alt={quote_attr(str(alt))} alt={quote_attr(str(alt))}"
        if "svg" in paths and "png" in paths:
            attrs += f" png={quote_attr(paths['png'])}"
        text = f"![{caption}]({src}){{{attrs}}}\n"
        return text + self.meta_div(meta, ("png", "svg", "csv"), where)

    def image_file(self, label: str, kind: str, content: bytes, download: str | None) -> str:
        """Where the page finds a figure's image: the notebook's output is the truth.

        When the download file the build wrote (``figures/fig-x.svg``) holds the same bytes,
        the page uses it rather than a second copy; otherwise the output is written to
        ``<chapter>_files/``.
        """
        if download:
            path = self.project_dir / download
            if path.is_file() and path.read_bytes() == content:
                self.resources[download] = path
                return download
        rel = f"{self.key}_files/{label}.{kind}"
        (self.media_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.media_dir / rel).write_bytes(content)
        self.resources[rel] = self.media_dir / rel
        return rel

    def meta_div(self, meta: dict, kinds: tuple[str, ...], where: str) -> str:
        """Source line and download links under a figure or table (from ``exile_report``
        output metadata); the files must exist, a broken download link is a bug."""
        files = {k: v for k, v in (meta.get("files") or {}).items() if k in kinds}
        for rel in files.values():
            path = self.project_dir / rel
            if not path.is_file():
                raise RenderError(f"{where}: download file {rel} not found ({path})")
            self.resources[rel] = path
        inner = []
        if meta.get("source"):
            inner.append(f"[{meta['source']}]{{.figure-source}}")
        links = _downloads(files, kinds)
        if links:
            inner.append(f"[{links}]{{.figure-downloads}}")
        if not inner:
            return ""
        return "\n::: {.figure-meta}\n" + "\n".join(inner) + "\n:::\n"

    def markdown_output(self, text: str, meta: dict, options: dict, where: str) -> str:
        if text.lstrip().startswith("::: {.figure-meta}"):
            # its download links are checked and mapped with the chapter's (map_paths)
            return text.strip("\n") + "\n"
        label = str(options.get("label") or "")
        if not label.startswith("tbl-"):
            return text.strip("\n") + "\n"
        caption = options.get("tbl-cap")
        if not caption:
            raise RenderError(f"{where}: table {label} has no tbl-cap")
        lines = text.strip("\n").split("\n")
        rows = [i for i, line in enumerate(lines) if line.lstrip().startswith("|")]
        if len(rows) < 2:
            raise RenderError(f"{where}: table {label}: the output holds no markdown pipe table")
        end = rows[0]
        while end + 1 < len(lines) and lines[end + 1].lstrip().startswith("|"):
            end += 1
        # A "Source: …" paragraph right after the table (what show_table prints, so a reader of
        # the notebook sees it too) goes under the table in the same style as a figure's source.
        rest = "\n".join(lines[end + 1 :]).strip("\n")
        if rest.startswith("Source:") and "\n\n" not in rest and not meta.get("source"):
            meta = {**meta, "source": " ".join(rest.split())}
            lines = lines[: end + 1]
        lines[end + 1 : end + 1] = ["", f": {caption} {{#{label}}}", ""]
        return "\n".join(lines).strip("\n") + "\n" + self.meta_div(meta, ("csv",), where)


# --------------------------------------------------------------------------- the book


@dataclass
class Draft:
    """A chapter while it is being built: its pieces still separate for error messages."""

    key: str
    kind: str
    source: Path
    front_title: str | None  # the front matter's title:, if any
    pieces: list[Piece]
    notebook: Path | None
    title: str = ""  # from here on, what crossref.lua found (see number_book)
    number: str | None = None
    sec_id: str | None = None
    paths: dict | None = None  # "image"/"link" -> {path as written: path in the book}


def load_book(
    project_dir: Path, chapters: dict | None, media_dir: Path, *, meta: dict | None = None
) -> Book:
    """Read the project and return the numbered, cross-referenced :class:`Book`.

    ``chapters`` maps a chapter file as listed in ``_quarto.yml`` (relative path or absolute
    :class:`Path`) to the file to read instead, i.e. the executed notebook; chapters not in it
    are read from the project itself. Images from notebooks are written under ``media_dir``.
    """
    project_dir = Path(project_dir).resolve()
    meta = dict(meta or {})
    config = read_config(project_dir)
    book_cfg = config["book"]
    qpath = project_dir / "_quarto.yml"
    replaced = {}
    for src, executed in (chapters or {}).items():
        src = Path(src)
        rel = src.relative_to(project_dir) if src.is_absolute() else src
        replaced[rel.as_posix()] = Path(executed)
    echo_default = (config.get("execute") or {}).get("echo", True)
    variables = read_variables(project_dir)
    resources: dict[str, Path] = {}
    listed = [(f, "chapter") for f in _flatten_chapters(book_cfg.get("chapters"), qpath)]
    listed += [(f, "appendix") for f in _flatten_chapters(book_cfg.get("appendices"), qpath)]
    drafts: list[Draft] = []
    for position, (name, kind) in enumerate(listed):
        shown = Path(name)
        path = replaced.get(shown.as_posix(), project_dir / shown)
        if not path.exists():
            raise RenderError(f"{qpath}: chapter {name} not found ({path})")
        key = shown.stem
        if path.suffix == ".ipynb":
            reader = NotebookReader(
                path, shown, key, media_dir, echo_default, variables, resources, project_dir
            )
            front, pieces = reader.read()
        elif path.suffix in (".qmd", ".md"):
            front, pieces = read_qmd(path, shown, variables)
        else:
            raise RenderError(f"{qpath}: chapter {name}: only .qmd, .md and .ipynb are supported")
        if kind == "chapter" and (key == "index" or position == 0):
            kind = "preface"
        title = front.get("title")
        notebook = path if path.suffix == ".ipynb" else None
        drafts.append(Draft(key, kind, shown, str(title) if title else None, pieces, notebook))
    numbered = number_book(drafts)
    for d, info in zip(drafts, numbered["chapters"], strict=True):
        if not info["title"]:
            raise RenderError(f"{d.source}: no title (front matter title: or a '# ' heading)")
        d.kind, d.number, d.title, d.sec_id = (
            info["kind"],
            info["number"],
            info["title"],
            info["sec_id"],
        )
    _check_unique_keys(drafts)
    bib_paths = [
        project_dir / b
        for b in _as_list(book_cfg.get("bibliography") or config.get("bibliography"))
    ]
    bib_keys = read_bibliography_keys(bib_paths)
    # an empty Lua table comes back as {}
    cited: dict[str, list[str]] = {k: list(v) for k, v in numbered["cited"].items()}
    for draft in drafts:
        for key in cited[draft.key]:
            if key not in bib_keys:
                raise RenderError(
                    f"{_where(draft, '@' + key)}: unknown citation @{key} in chapter"
                    f" {draft.source} (not in the bibliography)"
                )
        map_paths(draft, numbered["paths"][draft.key], project_dir, resources)
    csl = book_cfg.get("csl") or config.get("csl")
    # "cited": chapter key -> citation keys in order of first use (the HTML writer puts a
    # reference list at the end of each chapter that cites anything, as Quarto does).
    book_meta = {**meta, "cited": cited, "config": config}
    return Book(
        title=str(meta.get("title") or book_cfg.get("title") or ""),
        subtitle=str(meta.get("subtitle") or book_cfg.get("subtitle") or ""),
        authors=_author_names(
            meta.get("authors") or book_cfg.get("author") or config.get("author")
        ),
        date=_edition_date(meta, book_cfg),
        version=str(meta.get("version") or book_cfg.get("version") or ""),
        chapters=[
            Chapter(
                key=d.key,
                kind=d.kind,
                number=d.number,
                title=d.title,
                sec_id=d.sec_id,
                markdown=chapter_markdown(d),
                source=d.source,
                notebook=d.notebook,
            )
            for d in drafts
        ],
        bibliography=bib_paths,
        csl=project_dir / csl if csl else None,
        abstract=str(meta.get("abstract") or book_cfg.get("abstract") or ""),
        keywords=[
            str(k)
            for k in _as_list(
                meta.get("keywords") or config.get("keywords") or book_cfg.get("keywords")
            )
        ],
        language=str(meta.get("language") or config.get("lang") or "en"),
        resources=resources,
        meta=book_meta,
        targets=numbered["targets"],
    )


def _edition_date(meta: dict, book_cfg: dict) -> str:
    """The build's date, else ``_quarto.yml``'s unless it is one of Quarto's clock values
    (``last-modified``, ``today``, ``now``), which the engine must not resolve from the clock."""
    date = str(meta.get("date") or book_cfg.get("date") or "")
    return "" if date in ("last-modified", "today", "now") else date


def _check_unique_keys(drafts: list[Draft]) -> None:
    seen: dict[str, Path] = {}
    for d in drafts:
        name = "index" if d.kind == "preface" else d.key
        if name in seen or (name == "references" and d.kind != "references"):
            raise RenderError(f"{d.source}: page name {name}.html is already used")
        seen[name] = d.source


# --------------------------------------------------------------------------- numbering

CROSSREF_REPORT_ENV = "EXILE_CROSSREF_REPORT"
CHAPTER_MARKER = "```{{=exile-chapter}}\n{}\n```\n"


def chapter_marker(d: Draft) -> str:
    """The raw block that opens a chapter's markdown for ``crossref.lua``: the chapter's key,
    kind and front-matter title (the filter makes it the ``#`` heading when there is none), and
    once known, where its images and links point in the book (see :func:`map_paths`)."""
    info = {"key": d.key, "kind": d.kind, "title": d.front_title}
    if d.paths is not None:
        info["paths"] = d.paths
    return CHAPTER_MARKER.format(json.dumps(info, ensure_ascii=False))


def chapter_markdown(d: Draft) -> str:
    return chapter_marker(d) + "\n" + "\n".join(p.text.rstrip("\n") + "\n" for p in d.pieces)


def number_book(drafts: list[Draft]) -> dict:
    """Number the book and check its cross-references with ``crossref.lua`` (the filter every
    writer runs too), in one pandoc run over the whole book; return the filter's report:
    ``chapters`` (key, kind, number, title, sec_id), ``targets`` (id -> chapter key), ``cited``
    (chapter key -> citation keys) and ``problems``, raised here with the place each names."""
    from exile_report.provenance import pandoc_path

    with tempfile.TemporaryDirectory(prefix="exile-crossref-") as tmp:
        report = Path(tmp) / "report.json"
        proc = subprocess.run(
            [pandoc_path(), "--from=markdown", "--to=json", f"--lua-filter={CROSSREF_FILTER}"],
            input="\n".join(chapter_markdown(d) for d in drafts).encode("utf-8"),
            capture_output=True,
            env={**os.environ, CROSSREF_REPORT_ENV: str(report)},
            check=False,
        )
        if proc.returncode != 0 or not report.exists():
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            raise RenderError(f"numbering the book (pandoc, crossref.lua) failed: {stderr}")
        result = json.loads(report.read_text(encoding="utf-8"))
    by_key = {d.key: d for d in drafts}
    for item in result["problems"]:
        d = by_key.get(item["chapter"])
        where = _where(d, item["token"]) if d else "book"
        message = item["message"]
        if message.startswith("duplicate id"):
            first = next(
                (_where(x, item["token"]) for x in drafts if _find(x, item["token"])), None
            )
            where = _where(d, item["token"], last=True) if d else where
            message += f" (first at {first})"
        raise RenderError(f"{where}: {message}")
    return result


def numbered_markdown(book: Book) -> dict[str, str]:
    """Each chapter's markdown as the writers see it after ``crossref.lua`` (numbers in headings
    and captions, cross-references as links), written back by pandoc: for inspection and tests."""
    from exile_report.provenance import pandoc_path

    split = "```{{=exile-split}}\n{}\n```\n\n"
    text = "\n".join(split.format(c.key) + c.markdown for c in book.chapters)
    proc = subprocess.run(
        [pandoc_path(), "--from=markdown", "--to=markdown", "--wrap=none"]
        + [f"--lua-filter={CROSSREF_FILTER}"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    parts = re.split(
        r"^``` ?\{=exile-split\}\n(.*)\n```\n", proc.stdout.decode(), flags=re.MULTILINE
    )
    return {key: body.strip("\n") + "\n" for key, body in zip(parts[1::2], parts[2::2])}


def _find(d: Draft, token: str, last: bool = False) -> tuple[Piece, int] | None:
    """The piece of ``d`` that holds ``token`` (an ``@key`` or ``#id`` as written) and where."""
    if not token:
        return None
    pattern = re.compile(re.escape(token) + r"(?![\w:.#$%&\-+?<>~/]*\w)")
    found = [(p, m.start()) for p in d.pieces for m in pattern.finditer(p.text)]
    if not found:
        return None
    return found[-1] if last else found[0]


def _where(d: Draft, token: str, last: bool = False) -> str:
    found = _find(d, token, last)
    return found[0].where(found[1]) if found else str(d.source)


# --------------------------------------------------------------------------- references


def read_bibliography_keys(paths: list[Path]) -> set[str]:
    keys: set[str] = set()
    for path in paths:
        if not path.exists():
            raise RenderError(f"{path}: bibliography not found")
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".bib":
            keys.update(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))
        elif path.suffix == ".json":
            keys.update(str(e["id"]) for e in json.loads(text))
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
            keys.update(str(e["id"]) for e in data.get("references", []))
        else:
            raise RenderError(f"{path}: bibliography must be .bib, .json or .yaml")
    return keys


SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def map_paths(d: Draft, found: list[dict], project_dir: Path, resources: dict[str, Path]) -> None:
    """Where the images and links of a chapter point in the book (``d.paths``, which
    ``crossref.lua`` applies); images, and the download links of a figure-meta div, become
    resources and must exist.

    Pages live at the book root whatever folder their source is in, so a path written relative
    to the chapter's folder, as Quarto reads it, becomes relative to the project
    (``diagram.svg`` in ``chapters/01-method.qmd`` is ``chapters/diagram.svg``); paths already
    among the resources (a figure's files) stay as they are.
    """
    folder = d.source.parent
    d.paths = {"image": {}, "link": {}}
    for item in found:
        kind, target = item["kind"], item["target"]
        if SCHEME_RE.match(target) or target.startswith(("/", "#")) or target in resources:
            continue
        rel = os.path.normpath((folder / target).as_posix())
        path = project_dir / rel
        if kind == "image" and not path.exists():
            raise RenderError(f"{_where(d, target)}: image {target} not found ({path})")
        if kind == "link" and item["meta"] and (rel.startswith("..") or not path.is_file()):
            raise RenderError(f"{_where(d, target)}: download file {target} not found ({path})")
        if kind == "image" or item["meta"]:
            resources[rel] = path
        d.paths[kind][target] = rel
