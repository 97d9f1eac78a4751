"""Command line: ``exile-report build | execute | render | data | check | params``.

Every error a reader can cause (a bad parameter, missing or corrupt data, a failing notebook)
ends with one message saying what is wrong and where, exit status 2 (bad input) or 1 (a failed
step), and the last good book untouched.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """examples:
  exile-report build                                   build the whole book into _book/
  exile-report build --param history.start_year=1900   one parameter changed
  exile-report build --set since-1991                  a named parameter set from params.yml
  exile-report build --chapter scale                   re-execute one chapter, then render
  exile-report params                                  list every parameter with its type
  EXILE_RAW_DIR=../shared/data/raw exile-report data   rebuild data/processed from raw snapshots
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="exile-report",
        description="Build the reproducible report on political exile from Russia.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_params(sp):
        sp.add_argument("--param", "-p", action="append", default=[], metavar="CHAPTER.NAME=VALUE",
                        help="override one parameter (repeatable); the value is read as YAML")
        sp.add_argument("--set", dest="param_set", metavar="NAME",
                        help="start from a named parameter set in params.yml")
        sp.add_argument("--chapter", "-c", action="append", default=[], metavar="NAME",
                        help="execute this chapter again even if it is up to date (repeatable)")
        sp.add_argument("--jobs", "-j", type=int, default=None,
                        help="chapters executed in parallel (default: number of cores)")

    b = sub.add_parser("build", help="execute what changed and render HTML and PDF into _book/")
    add_params(b)
    b.add_argument("--engine", choices=("builtin", "quarto"), default=None,
                   help="render with the built-in engine (the default, also $EXILE_ENGINE) or "
                        "with the Quarto CLI on PATH")
    e = sub.add_parser("execute", help="execute what changed into _build/, without rendering")
    add_params(e)
    e.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="consider only this chapter (repeatable); the others are left alone")
    sub.add_parser("data", help="derive data/processed/ from the raw snapshots in $EXILE_RAW_DIR")
    sub.add_parser("check", help="check every table against its schema, checksums and citations")
    sub.add_parser("params", help="list every chapter parameter with its type, range and default")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .params import ParamError

    try:
        return _run(args)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from .build import BuildError
        from .execute import ExecutionError

        known = (BuildError, ExecutionError)
        try:
            from .data import DataError
            known += (DataError,)
        except ImportError:
            pass
        try:
            from .render.model import RenderError
            known += (RenderError,)
        except ImportError:
            pass
        if isinstance(exc, known):
            print(f"error: {exc}", file=sys.stderr)
            print("the last good book in _book/ was left untouched", file=sys.stderr)
            return 1
        raise


def _run(args) -> int:
    from .paths import ROOT

    if args.command in ("build", "execute"):
        from .build import build

        report = build(ROOT, overrides=args.param, param_set=args.param_set,
                       chapters=args.chapter, jobs=args.jobs, render=args.command == "build",
                       only=getattr(args, "only", []), engine=getattr(args, "engine", None))
        t = report.timings
        print(f"executed: {', '.join(report.executed) or 'none'}; "
              f"up to date: {', '.join(report.cached) or 'none'}")
        print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
        if args.command == "build":
            print(f"engine: {report.engine}")
            print(f"book: {ROOT / '_book' / 'index.html'} and {ROOT / '_book' / 'exile-report.pdf'}")
        return 0
    if args.command == "data":
        from .paths import PROCESSED, raw_dir
        from .processing import run_all

        written = run_all(raw_dir(), PROCESSED)
        print(f"wrote {len(written)} files under {PROCESSED.relative_to(ROOT)}/")
        return 0
    if args.command == "check":
        from .checks import check_all

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

        from .params import chapter_specs, read_params_file

        defaults = read_params_file(ROOT / "params.yml")["defaults"]
        for key, spec in chapter_specs().items():
            print(f"{key}  ({spec.notebook})")
            for p in spec.params:
                rng = []
                if p.minimum is not None or p.maximum is not None:
                    rng.append(f"range {p.minimum:g}..{p.maximum:g}")
                if p.choices:
                    rng.append("one of " + ", ".join(map(str, p.choices)))
                default = yaml.safe_dump(defaults.get(key, {}).get(p.name),
                                         default_flow_style=True, width=10000).strip().removesuffix("...").strip()
                print(f"  {p.name} ({p.kind}) = {default}")
                print(f"      {p.help}" + (f" [{'; '.join(rng)}]" if rng else ""))
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
