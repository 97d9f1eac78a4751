"""Command line: ``exile-report build | execute | render | fetch | data | check | params``.

Every error a reader can cause (a bad parameter, missing or corrupt data, a failing notebook)
ends with one message saying what is wrong and where, exit status 2 (bad input) or 1 (a failed
step), and the last good book untouched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """examples:
  exile-report build                                   build the whole book into _book/
  exile-report build --param history.start_year=1900   one parameter changed
  exile-report build --set since-1991                  a named parameter set from params.yml
  exile-report build --chapter scale                   re-execute one chapter, then render
  exile-report build --set since-1991 --out variant/   a variant, into variant/ (not _book/)
  exile-report params                                  list every parameter with its type
  exile-report preview                                 serve the book, rebuild on every change
  exile-report fetch --from URL                        download the raw snapshots into data/raw/
  exile-report data                                    rebuild data/processed from data/raw/
                                                       (or from $EXILE_RAW_DIR when set)
"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of 1 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="exile-report",
        description="Build the reproducible report on political exile from Russia.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_params(sp):
        sp.add_argument(
            "--param",
            "-p",
            action="append",
            default=[],
            metavar="CHAPTER.NAME=VALUE",
            help="override one parameter (repeatable); the value is read as YAML",
        )
        sp.add_argument(
            "--set",
            dest="param_set",
            metavar="NAME",
            help="start from a named parameter set in params.yml",
        )
        sp.add_argument(
            "--chapter",
            "-c",
            action="append",
            default=[],
            metavar="NAME",
            help="execute this chapter again even if it is up to date (repeatable)",
        )
        sp.add_argument(
            "--jobs",
            "-j",
            type=_positive,
            default=None,
            help="chapters executed in parallel (default: number of cores)",
        )

    b = sub.add_parser("build", help="execute what changed and render HTML and PDF into _book/")
    add_params(b)
    b.add_argument(
        "--engine",
        choices=("builtin", "quarto"),
        default=None,
        help="render with the built-in engine (the default, also $EXILE_ENGINE) or "
        "with the Quarto CLI on PATH",
    )
    b.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="publish the book into DIR instead of _book/ (which stays as it is): for a variant "
        "built with other parameters",
    )
    e = sub.add_parser("execute", help="execute what changed into _build/, without rendering")
    add_params(e)
    e.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="consider only this chapter (repeatable); the others are left alone",
    )
    v = sub.add_parser(
        "preview",
        help="serve the HTML book on 127.0.0.1, rebuild on every change "
        "and reload the open page (the PDF is built when asked for)",
    )
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    v.add_argument(
        "--port",
        type=int,
        default=4848,
        help="port to listen on (default 4848; 0 picks a free one)",
    )
    v.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="CHAPTER.NAME=VALUE",
        help="override one parameter (repeatable), as for build",
    )
    v.add_argument(
        "--set",
        dest="param_set",
        metavar="NAME",
        help="build with a named parameter set of params.yml (edits to it are previewed)",
    )
    f = sub.add_parser(
        "fetch",
        help="download the raw snapshots of data/sources.yml into "
        "$EXILE_RAW_DIR (default data/raw/) and verify their checksums",
    )
    f.add_argument(
        "--from",
        dest="mirror",
        metavar="URL",
        default=None,
        help="base address of a copy of the raw folder (<URL>/<source id>/<file>); "
        "default $EXILE_RAW_URL",
    )
    sub.add_parser("data", help="derive data/processed/ from the raw snapshots in $EXILE_RAW_DIR")
    sub.add_parser(
        "check",
        help="check every table against its schema, checksums, citations and "
        "the source policy (prints the tier counts)",
    )
    pp = sub.add_parser(
        "params", help="list every chapter parameter with its type, range and default"
    )
    pp.add_argument(
        "--update-appendix",
        action="store_true",
        help="rewrite the table of parameters in chapters/A2-reproducing.qmd",
    )
    return p


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("exile-report")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(
            "error: interrupted; the last good book in _book/ was left untouched "
            "(the next build cleans up)",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        code = _known_error(exc)
        if code is None:
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        if code == 1:
            print("the last good book in _book/ was left untouched", file=sys.stderr)
        return code


def _known_error(exc: Exception) -> int | None:
    """Exit status for an error a reader can cause or fix: 2 bad input, 1 a failed step."""
    from .build import BuildError
    from .data import DataError
    from .execute import ExecutionError
    from .params import ParamError
    from .preview import PreviewError
    from .provenance import ProvenanceError
    from .publish import IncompleteBookError
    from .render.model import RenderError

    if isinstance(exc, (ParamError, ProvenanceError)):
        return 2
    if isinstance(
        exc,
        (
            BuildError,
            ExecutionError,
            DataError,
            RenderError,
            IncompleteBookError,
            PreviewError,
            OSError,
        ),
    ):
        return 1
    return None


def _one_line(exc: Exception) -> str:
    """The message; an operating-system error (read-only folder, full disk, missing program)
    as what failed and where instead of a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc)


def _run(args) -> int:
    from .paths import ROOT

    if args.command in ("build", "execute"):
        from .build import build

        report = build(
            ROOT,
            overrides=args.param,
            param_set=args.param_set,
            chapters=args.chapter,
            jobs=args.jobs,
            render=args.command == "build",
            only=getattr(args, "only", []),
            engine=getattr(args, "engine", None),
            out=getattr(args, "out", None),
        )
        t = report.timings
        print(
            f"executed: {', '.join(report.executed) or 'none'}; "
            f"up to date: {', '.join(report.cached) or 'none'}"
        )
        print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
        if args.command == "build":
            print(f"engine: {report.engine}")
            where = Path(args.out).expanduser().resolve() if args.out else ROOT / "_book"
            pdfs = sorted(where.glob("*.pdf"))
            print(f"book: {where / 'index.html'}" + "".join(f" and {pdf}" for pdf in pdfs))
        return 0
    if args.command == "preview":
        from .preview import serve

        return serve(
            ROOT,
            host=args.host,
            port=args.port,
            overrides=args.param,
            param_set=args.param_set,
            log=lambda message: print(message, flush=True),
        )
    if args.command == "fetch":
        return _fetch(args.mirror)
    if args.command == "data":
        from .datapackage import regenerate
        from .paths import PROCESSED, raw_dir

        written = regenerate(raw_dir())
        print(f"wrote {len(written)} files under {PROCESSED.relative_to(ROOT)}/")
        return 0
    if args.command == "check":
        from .checks import check_all
        from .source_policy import check as source_policy

        print(source_policy().summary())
        problems = check_all()
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s)", file=sys.stderr)
            return 1
        print("all checks passed")
        return 0
    if args.command == "params":
        import yaml

        from .params import APPENDIX, chapter_specs, describe, read_params_file, with_table

        if args.update_appendix:
            path = ROOT / APPENDIX
            path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
            print(f"wrote the table of parameters into {APPENDIX}")
            return 0
        print(describe(chapter_specs()))
        sets = read_params_file(ROOT / "params.yml")["sets"]
        if sets:
            print("named sets (exile-report build --set NAME), each changing the defaults by:")
            for name, layer in sets.items():
                print(
                    f"  {name}: "
                    + "; ".join(
                        f"{chapter}.{k}={yaml.safe_dump(v, default_flow_style=True, width=10000).strip().removesuffix('...').strip()}"
                        for chapter, values in (layer or {}).items()
                        for k, v in (values or {}).items()
                    )
                )
        return 0
    raise AssertionError(args.command)


def _fetch(mirror: str | None) -> int:
    import os

    from .fetch import MIRROR_ENV, FetchError, fetch_all
    from .paths import SOURCES_YML, raw_dir
    from .sources import load_register

    raw = raw_dir()
    try:
        report = fetch_all(raw, load_register(SOURCES_YML), mirror or os.environ.get(MIRROR_ENV))
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{raw}: {len(report.downloaded)} downloaded, {len(report.present)} already there "
        "with the right checksum"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
