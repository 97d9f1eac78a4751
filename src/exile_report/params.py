"""Chapter parameters: what each chapter declares, and the validation every value passes through.

Each parameter is declared once, as a :class:`Param` in its chapter's ``PARAMETERS`` list: name,
type, meaning, allowed values and default. Everything else is derived from that declaration or
checked against it: the book's defaults, ``exile-report params``, the table of parameters in
appendix A2 (:func:`markdown_table`, kept current by ``exile-report params --update-appendix``
and a test), and each notebook's ``parameters`` cell (a test compares it with the defaults).

Other values come from a named set in ``params.yml`` and from ``--param chapter.name=value`` on
the command line. They are checked against the declarations *before any kernel starts*, so a
wrong value can neither produce a plausible-looking wrong book nor reach a notebook as code: only
plain YAML scalars and lists of them pass, and papermill writes them into the notebook as Python
literals.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class _NoDatesLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text and are checked by :class:`Param`."""


_NoDatesLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_load(text: str, limit: int | None = None):
    """YAML without dates, aliases, oversized text or deep nesting (see :mod:`.param_checks`)."""
    from .param_checks import MAX_VALUE_CHARS, LimitError, load_yaml

    try:
        return load_yaml(text, _NoDatesLoader, limit=limit or MAX_VALUE_CHARS)
    except (LimitError, RecursionError) as exc:
        raise ParamError(f"{exc if isinstance(exc, LimitError) else 'nested too deeply'}") from None


class ParamError(ValueError):
    """A parameter problem a reader can fix; the message names chapter, parameter and value."""


@dataclass(frozen=True)
class Param:
    """One declared chapter parameter.

    ``kind`` is one of ``int``, ``float``, ``str``, ``bool``, ``date`` (ISO ``YYYY-MM-DD`` string),
    ``list[str]``, ``list[int]``, ``list[float]``, ``dict[str]`` (text keys to text values, e.g. the
    source chosen per country). ``choices`` restricts values (each element, for
    lists); ``minimum``/``maximum`` bound numbers (each element, for lists); ``length`` fixes a list's
    length; ``non_empty`` forbids an empty list; ``default`` is the value the book uses unless a
    named set or ``--param`` gives another.
    """

    name: str
    kind: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    length: int | None = None
    non_empty: bool = True
    default: Any = None

    def check(self, chapter: str, value: Any) -> Any:
        where = f"parameter {chapter}.{self.name}"
        if self.kind == "dict[str]":
            if not isinstance(value, dict):
                raise ParamError(f"{where}: expected a mapping of text to text, got {_show(value)}")
            for k, v in value.items():
                if not isinstance(k, str) or not isinstance(v, str):
                    raise ParamError(f"{where}: keys and values must be text, got {_show({k: v})}")
            return dict(value)
        if self.kind.startswith("list["):
            inner = self.kind[5:-1]
            if not isinstance(value, (list, tuple)):
                # papermill's -p passes every value as text; its -y reads YAML
                hint = (
                    f" (running the notebook with papermill? -p passes text; pass a list "
                    f'with -y "{self.name}: [...]")'
                    if isinstance(value, str)
                    else ""
                )
                raise ParamError(f"{where}: expected a list of {inner}, got {_show(value)}{hint}")
            if self.non_empty and len(value) == 0:
                raise ParamError(f"{where}: the list must not be empty")
            if self.length is not None and len(value) != self.length:
                raise ParamError(
                    f"{where}: expected a list of {self.length} values, got {len(value)}"
                )
            out = [self._scalar(where, inner, v) for v in value]
            if len(set(map(repr, out))) != len(out) and inner == "str":
                raise ParamError(f"{where}: the list repeats a value: {_show(value)}")
            return out
        return self._scalar(where, self.kind, value)

    def _scalar(self, where: str, kind: str, value: Any) -> Any:
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"{where}: expected true or false, got {_show(value)}")
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParamError(f"{where}: expected a whole number, got {_show(value)}")
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"{where}: expected a number, got {_show(value)}")
            value = float(value)
            if not math.isfinite(value):
                raise ParamError(f"{where}: expected a finite number, got {_show(value)}")
        elif kind == "str":
            if not isinstance(value, str):
                raise ParamError(f"{where}: expected text, got {_show(value)}")
        elif kind == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                value = value.isoformat()
            if not isinstance(value, str):
                raise ParamError(f"{where}: expected a date YYYY-MM-DD, got {_show(value)}")
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ParamError(
                    f"{where}: expected a date YYYY-MM-DD, got {_show(value)}"
                ) from None
            if len(value) != 10:
                raise ParamError(f"{where}: expected a date YYYY-MM-DD, got {_show(value)}")
        else:  # pragma: no cover - a declaration error, caught by the tests of the declarations
            raise TypeError(f"{where}: unknown kind {kind!r}")
        if self.choices is not None and value not in self.choices:
            hint = _suggest(str(value), [str(c) for c in self.choices])
            allowed = ", ".join(map(str, self.choices))
            raise ParamError(f"{where}: {_show(value)} is not allowed{hint}; allowed: {allowed}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"{where}: {_show(value)} is below the minimum {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"{where}: {_show(value)} is above the maximum {self.maximum:g}")
        return value


@dataclass(frozen=True)
class ChapterSpec:
    """A chapter of the book that runs as a parameterized notebook."""

    key: str  # short name used on the command line, e.g. "scale"
    notebook: str  # path relative to the repo root
    params: tuple[Param, ...]
    check: Callable[[dict], list[str]] | None = None  # cross-parameter checks -> messages
    aliases: tuple[str, ...] = field(default=())


#: chapter key -> module that declares PARAMETERS (list[Param]) and optionally check_params(dict)
CHAPTER_MODULES = {
    "history": ("chapters/01-history.ipynb", "exile_report.analysis.history"),
    "scale": ("chapters/02-scale.ipynb", "exile_report.analysis.scale"),
    "host-states": ("chapters/03-host-states.ipynb", "exile_report.analysis.host_states"),
    "asylum-law": ("chapters/04-asylum-law.ipynb", "exile_report.analysis.asylum"),
    "conclusion": ("chapters/05-conclusion.ipynb", "exile_report.analysis.conclusion"),
    # Appendix notebooks: executed like chapters, with no parameters of their own.
    "data-sources": ("chapters/A1-data-sources.ipynb", None),
}


def chapter_specs() -> dict[str, ChapterSpec]:
    """The declared chapters, in book order."""
    specs = {}
    for key, (notebook, module_name) in CHAPTER_MODULES.items():
        module = importlib.import_module(module_name) if module_name else None
        stem = Path(notebook).stem
        specs[key] = ChapterSpec(
            key=key,
            notebook=notebook,
            params=tuple(getattr(module, "PARAMETERS", ())),
            check=getattr(module, "check_params", None),
            aliases=(stem, notebook),
        )
    return specs


def resolve_chapter(name: str, specs: dict[str, ChapterSpec] | None = None) -> str:
    """Map ``scale``, ``02-scale`` or ``chapters/02-scale.ipynb`` to the chapter key."""
    specs = specs or chapter_specs()
    for key, spec in specs.items():
        if name == key or name in spec.aliases:
            return key
    raise ParamError(
        f"unknown chapter {name!r}{_suggest(name, list(specs))}; chapters: {', '.join(specs)}"
    )


def parse_override(text: str) -> tuple[str, str, Any]:
    """``chapter.name=value`` -> (chapter, name, value); the value is read as a YAML scalar or list."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ParamError(
            f"--param {text!r}: expected CHAPTER.NAME=VALUE, e.g. history.start_year=1900"
        )
    lhs, raw = text.split("=", 1)
    chapter, name = lhs.split(".", 1)
    try:
        value = _yaml_load(raw) if raw.strip() else ""
    except ParamError as exc:
        raise ParamError(f"--param {_show(text)}: the value is refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise ParamError(f"--param {text!r}: the value is not valid YAML ({exc.problem})") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    return chapter.strip(), name.strip(), value


def defaults(specs: dict[str, ChapterSpec] | None = None) -> dict[str, dict]:
    """The declared default of every chapter parameter, ``{chapter: {name: value}}``."""
    specs = specs or chapter_specs()
    return {key: {p.name: p.default for p in spec.params} for key, spec in specs.items()}


def read_params_file(path: Path) -> dict:
    """Read ``params.yml``: named parameter sets, ``sets: {name: {chapter: {name: value}}}``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamError(f"{path}: parameter file not found") from None
    except UnicodeDecodeError as exc:
        raise ParamError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    try:
        from .param_checks import MAX_FILE_CHARS

        doc = _yaml_load(text, MAX_FILE_CHARS)
    except ParamError as exc:
        raise ParamError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParamError(
            f"{path}:{where}: malformed YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ParamError(
            f"{path}: expected a mapping with a 'sets' section of named parameter sets"
        )
    if "defaults" in doc:
        raise ParamError(
            f"{path}: a 'defaults' section is not read: each default is declared with "
            "its chapter's parameters (see `exile-report params`); put other values "
            "in a named set under 'sets'"
        )
    unknown = set(doc) - {"sets"}
    if unknown:
        raise ParamError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    doc.setdefault("sets", {})
    if not isinstance(doc["sets"], dict):
        raise ParamError(f"{path}: 'sets' must be a mapping")
    return doc


def resolve_params(
    params_file: Path,
    overrides: list[str] = (),
    param_set: str | None = None,
    specs: dict[str, ChapterSpec] | None = None,
) -> dict[str, dict]:
    """Merge the declared defaults, a named set of ``params_file`` and command-line overrides;
    validate everything; return the values.

    Raises :class:`ParamError` on the first problem, naming the chapter, parameter and value.
    """
    specs = specs or chapter_specs()
    doc = read_params_file(params_file)
    layers: list[tuple[str, dict]] = [("declared defaults", defaults(specs))]
    if param_set is not None:
        sets = doc["sets"] or {}
        if param_set not in sets:
            raise ParamError(
                f"unknown parameter set {param_set!r}{_suggest(param_set, list(sets))};"
                f" sets in {params_file.name}: {', '.join(sets) or 'none'}"
            )
        layers.append((f"set {param_set}", sets[param_set]))
    cli: dict[str, dict] = {}
    for text in overrides:
        chapter, name, value = parse_override(text)
        cli.setdefault(chapter, {})[name] = value
    layers.append(("--param", cli))

    values: dict[str, dict] = {key: {} for key in specs}
    for origin, layer in layers:
        if not isinstance(layer, dict):
            raise ParamError(f"{origin}: expected a mapping of chapters")
        for chapter_name, chapter_values in layer.items():
            key = resolve_chapter(str(chapter_name), specs)
            if not isinstance(chapter_values, dict):
                raise ParamError(f"{origin}: chapter {chapter_name!r} must map names to values")
            declared = {p.name: p for p in specs[key].params}
            for name, value in chapter_values.items():
                if name not in declared:
                    raise ParamError(
                        f"{origin}: unknown parameter {key}.{name}{_suggest(name, list(declared))};"
                        f" {key} declares: {', '.join(declared)}"
                    )
                values[key][name] = declared[name].check(key, value)
                _check_limits(origin, key, name, values[key][name])

    for key, spec in specs.items():
        check_together(spec, values[key])
    return values


def check_together(spec: ChapterSpec, values: dict) -> None:
    """The chapter's cross-parameter checks (a year range that runs forwards, a source chosen
    for a listed host…); ParamError listing every problem."""
    problems = spec.check(dict(values)) if spec.check is not None else []
    if problems:
        raise ParamError("; ".join(f"parameters of {spec.key}: {p}" for p in problems))


def chapter_title(spec: ChapterSpec) -> str:
    """'1 History', '3 Host states': the chapter's number (from its notebook's name) and key."""
    stem = Path(spec.notebook).stem
    number, _, _ = stem.partition("-")
    words = spec.key.replace("-", " ")
    return f"{int(number) if number.isdigit() else number} {words[:1].upper()}{words[1:]}"


def markdown_table(specs: dict[str, ChapterSpec] | None = None) -> str:
    """The table of parameters in appendix A2, generated from the declarations: one row per
    parameter with the value this edition was built with (a ``{{< var >}}`` shortcode the build
    fills in from the parameters actually used), and the table's caption."""
    specs = specs or chapter_specs()
    rows = ["| Chapter | Parameter | Value |", "|:--|:--|:--|"]
    for key, spec in specs.items():
        for p in spec.params:
            rows.append(
                f"| {chapter_title(spec)} | `{p.name}` | {{{{< var params.{key}.{p.name} >}}}} |"
            )
    rows += ["", ": Parameters of this edition {#tbl-params-used}"]
    return "\n".join(rows) + "\n"


def describe(specs: dict[str, ChapterSpec] | None = None) -> str:
    """Every chapter parameter with its type, default, meaning and allowed values (what
    ``exile-report params`` prints)."""
    specs = specs or chapter_specs()
    lines = []
    for key, spec in specs.items():
        lines.append(f"{key}  ({spec.notebook})")
        for p in spec.params:
            rng = []
            if p.minimum is not None or p.maximum is not None:
                rng.append(f"range {p.minimum:g}..{p.maximum:g}")
            if p.choices:
                rng.append("one of " + ", ".join(map(str, p.choices)))
            default = (
                yaml.safe_dump(p.default, default_flow_style=True, width=10000)
                .strip()
                .removesuffix("...")
                .strip()
            )
            lines.append(f"  {p.name} ({p.kind}) = {default}")
            lines.append(f"      {p.help}" + (f" [{'; '.join(rng)}]" if rng else ""))
    return "\n".join(lines)


#: The appendix that shows the parameters of the edition, relative to the repository root.
APPENDIX = "chapters/A2-reproducing.qmd"
#: The lines around the generated table in ``chapters/A2-reproducing.qmd``.
TABLE_START = "<!-- parameters table: generated from the declarations by `exile-report params --update-appendix`; do not edit -->"
TABLE_END = "<!-- end of the generated parameters table -->"


def with_table(document: str, table: str | None = None) -> str:
    """``document`` with the text between :data:`TABLE_START` and :data:`TABLE_END` replaced by
    the generated table; ParamError when the markers are missing."""
    start, end = document.find(TABLE_START), document.find(TABLE_END)
    if start < 0 or end < start:
        raise ParamError(
            f"the appendix has no generated-table markers ({TABLE_START!r} ... {TABLE_END!r})"
        )
    head = document[: start + len(TABLE_START)]
    return f"{head}\n\n{table or markdown_table()}\n{document[end:]}"


def _check_limits(origin: str, chapter: str, name: str, value: Any) -> None:
    from .param_checks import LimitError, check_value

    try:
        check_value(chapter, name, value)
    except LimitError as exc:
        raise ParamError(f"{origin}: {exc}") from None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
