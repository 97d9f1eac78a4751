"""Loading API for chapters: ``load(name)`` reads a processed or curated table by name.

Chapters call this many times, so tables are parsed and validated once per process and
cached. Every problem surfaces as ``DataError`` naming the file, the column and the row,
so a reader of a failed build knows where to look without opening a debugger.
"""

from __future__ import annotations


class DataError(Exception):
    """A data file is missing, malformed or fails its schema or checksum."""
