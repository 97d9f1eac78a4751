"""The ``python -m`` entry of a module that rewrites one generated file (``datapackage``,
``identity``): run its writer and print the path written, or one ``error: …`` line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def run_writer(write: Callable[[], Path], errors: tuple[type[Exception], ...]) -> int:
    """Exit status of ``write()``: 0, the path it wrote on stdout; 1, an ``error:`` line on stderr
    for one of ``errors`` (a user can cause and fix those; anything else keeps its traceback)."""
    try:
        print(write())
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
