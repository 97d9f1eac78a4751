# Each target sets up .venv on its own from the pinned, hashed lock file.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: report test bench data check clean venv

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name exile-report --display-name "Python 3 (exile-report)" >/dev/null
	@touch $@

report: $(STAMP)
	$(VENV)/bin/exile-report build

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m exile_report.bench

data: $(STAMP)
	$(VENV)/bin/exile-report data

check: $(STAMP)
	$(VENV)/bin/exile-report check

clean:
	rm -rf _build _book figures/*.png figures/*.svg figures/*.csv
