# Each target sets up .venv on its own from the pinned, hashed lock file.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CHROMIUM  ?= /usr/bin/chromium
AXE       := node_modules/axe-core/axe.min.js
CFF_VENV  := .venv-cff
CFF_STAMP := $(CFF_VENV)/.installed

.PHONY: report test bench data check clean venv browser-deps chromium cff

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name exile-report --display-name "Python 3 (exile-report)" >/dev/null
	@touch $@

# ENGINE=builtin (default) or ENGINE=quarto (the Quarto CLI on PATH): see README, "Engines".
ENGINE ?= builtin

report: $(STAMP)
	$(VENV)/bin/exile-report build --engine $(ENGINE)

test: $(STAMP) browser-deps $(CFF_STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m exile_report.bench

data: $(STAMP)
	$(VENV)/bin/exile-report data

check: $(STAMP)
	$(VENV)/bin/exile-report check

clean:
	rm -rf _build _book figures/*.png figures/*.svg figures/*.csv

# Browser tests and citation checks. Chromium comes from Debian (never a browser download of
# its own); axe-core from package-lock.json (exact version, integrity hashes, no registry URLs);
# cffconvert from its own hashed lock in its own venv (it needs jsonschema<4, which the main
# venv's frictionless cannot share).

browser-deps: chromium $(AXE)

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "$(CHROMIUM) is missing: installing Debian's chromium with apt-get"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || exit 1; \
	  else \
	    echo "error: $(CHROMIUM) not found. The browser tests need Debian's chromium:" >&2; \
	    echo "       sudo apt-get update && sudo apt-get install -y chromium   (then run make test again)" >&2; \
	    exit 1; \
	  fi; \
	fi

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; the browser tests need it to install axe-core: sudo apt-get install -y npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

cff: $(CFF_STAMP)

$(CFF_STAMP): requirements-cff.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'" >&2; exit 1; }
	@test -x $(CFF_VENV)/bin/python || $(PYTHON) -m venv $(CFF_VENV)
	$(CFF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-cff.lock
	@touch $@
