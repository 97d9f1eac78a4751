#!/usr/bin/env bash
# Set up a virtual environment from pinned, hashed lock files; called by the Makefile.
#
#   tools/venv.sh [--bare] PYTHON VENV STAMP LOCK [LOCK...]
#
# Without --bare the project itself is installed (editable) with its Jupyter kernel.
# PYTHON must be CPython 3.11, 3.12 or 3.13. A VENV made by another Python (or one whose pip does
# not run) is removed and made again, with a one-line message. STAMP is written only after every
# step succeeded, so a failed install is never trusted by the next make: it simply runs again.
set -euo pipefail

bare=0
if [ "${1:-}" = --bare ]; then bare=1; shift; fi
python=$1 venv=$2 stamp=$3
shift 3

fail() { echo "error: $*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 ||
  fail "$python not found; install Python 3.11, 3.12 or 3.13, or run e.g. 'make PYTHON=python3.12'"
want=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>&1) ||
  fail "$python does not run ($(echo "$want" | head -n 1)); choose another with 'make PYTHON=...'"
case $want in
  3.11 | 3.12 | 3.13) ;;
  *) fail "$python is Python $want; the book needs Python 3.11, 3.12 or 3.13 (e.g. 'make PYTHON=python3.12')" ;;
esac

if [ -e "$venv" ]; then
  have=$("$venv/bin/python" -c 'import sys, pip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || have=
  if [ "$have" != "$want" ]; then
    made=${have:+Python $have}
    echo "rebuilding $venv: it was made by ${made:-a Python that does not run (or has no pip)}, $python is Python $want"
    rm -rf "$venv"
  fi
fi
if [ ! -e "$venv" ]; then
  "$python" -m venv "$venv" || { rm -rf "$venv"; fail "'$python -m venv $venv' failed"; }
fi

rm -f "$stamp"  # trusted again only when this run ends well
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
for lock in "$@"; do
  "${pip[@]}" --require-hashes --no-deps -r "$lock" || fail "installing $lock into $venv failed (run make again to retry)"
done
if [ $bare = 1 ]; then touch "$stamp"; exit 0; fi
"${pip[@]}" --no-deps --no-build-isolation -e . || fail "installing the package into $venv failed"
# The kernel the build names explicitly; inside the venv only, so no other Python can answer to it.
"$venv/bin/python" -m ipykernel install --sys-prefix --name exile-report \
  --display-name "Python 3 (exile-report)" >/dev/null
touch "$stamp"
