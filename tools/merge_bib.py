"""Merge the bibliography fragments under bib/ into references.bib (sorted by key, deduplicated).

A key defined twice with different content is an error: the fragments must agree.
Usage: python tools/merge_bib.py [ROOT]
"""

import itertools
import re
import sys
from pathlib import Path

root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
entries: dict[str, tuple[str, str]] = {}
ENTRY = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)
sources = [root / "references.bib"] if (root / "references.bib").exists() else []
for frag in sources + sorted((root / "bib").glob("*.bib")):
    text = frag.read_text(encoding="utf-8")
    starts = [m.start() for m in ENTRY.finditer(text)] + [len(text)]
    for a, b in itertools.pairwise(starts):
        chunk = text[a:b].strip()
        key = ENTRY.match(chunk).group(2)
        if key in entries and " ".join(entries[key][1].split()) != " ".join(chunk.split()):
            url_a = re.search(r"url\s*=\s*\{([^}]*)\}", entries[key][1])
            url_b = re.search(r"url\s*=\s*\{([^}]*)\}", chunk)
            if (url_a and url_a.group(1)) != (url_b and url_b.group(1)):
                sys.exit(f"{frag}: key {key} names another address than in {entries[key][0]}")
            print(
                f"note: {key} in {frag.name} differs in wording from {entries[key][0]}; "
                "kept the first",
                file=sys.stderr,
            )
        entries.setdefault(key, (frag.name, chunk))


def with_author(chunk: str) -> str:
    """An organisation with no named author is the author (so citations read "(Re:Russia 2023)",
    not the page title)."""
    if re.search(r"^\s*(author|editor)\s*=", chunk, re.MULTILINE):
        return chunk
    org = re.search(r"^\s*(organization|institution)\s*=\s*(\{.*\}),?\s*$", chunk, re.MULTILINE)
    if not org:
        return chunk
    head, rest = chunk.split("\n", 1)
    return f"{head}\n  author = {org.group(2)},\n{rest}"


entries = {k: (f, with_author(c)) for k, (f, c) in entries.items()}
out = "% Bibliography of the report. Every source cited anywhere, one entry per key.\n\n"
out += "\n\n".join(chunk for _k, (_f, chunk) in sorted(entries.items())) + "\n"
(root / "references.bib").write_text(out, encoding="utf-8")
print(f"references.bib: {len(entries)} entries")
