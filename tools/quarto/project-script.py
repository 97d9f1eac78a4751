"""Quarto's ``pre-render`` / ``post-render`` step: ``project-script.py pre-render|post-render``.

Run by ``quarto render`` / ``quarto preview`` in the project root with Quarto's own Python; it
sets up ``.venv`` when missing (``make venv``, the pinned and hashed lock) and hands over to
``exile_report.render.quarto`` there: pre-render executes the chapter notebooks that changed
(papermill, once each), post-render adds the data bundle to the book.
"""

import os
import subprocess
import sys
from pathlib import Path

if os.environ.get("EXILE_REPORT_EXECUTED"):
    sys.exit(0)  # the build runs Quarto: it executed the chapters and adds the data bundle itself
root = Path(__file__).resolve().parents[2]
python = root / ".venv" / "bin" / "python"
if not (root / ".venv" / ".installed").is_file():
    print(".venv is missing: running `make venv` first", file=sys.stderr)
    if subprocess.run(["make", "--no-print-directory", "venv"], cwd=root, check=False).returncode:
        sys.exit("error: `make venv` failed; see above")
if not python.is_file():
    sys.exit(f"error: {python} not found (run `make venv`)")
entry = "import sys; from exile_report.render.quarto import main; sys.exit(main(sys.argv[1:]))"
sys.exit(
    subprocess.run([str(python), "-c", entry, *sys.argv[1:]], cwd=root, check=False).returncode
)
