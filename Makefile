# Each target sets up .venv on its own from the pinned, hashed lock files (exported from uv.lock):
# `make report` installs the book's runtime only, `make test` adds the tests' packages, `make lab`
# adds JupyterLab. Any Python 3.11, 3.12 or 3.13 works: `make report PYTHON=python3.13`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The stamps name the Python version, so changing PYTHON makes tools/venv.sh rebuild the venv.
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(PYVER)
TEST_STAMP    := $(VENV)/.installed-test-$(PYVER)
DEV_STAMP     := $(VENV)/.installed-dev-$(PYVER)
# Browser tests: $(CHROMIUM) when set, else the first of these on PATH (see tests/test_browser.py).
CHROMIUM  ?=
BROWSERS  := chromium chromium-browser google-chrome-stable google-chrome
AXE       := node_modules/axe-core/axe.min.js
CFF_VENV  := .venv-cff
CFF_STAMP := $(CFF_VENV)/.installed-$(PYVER)
UV        ?= uv
# Figures drawn while running a chapter by hand in JupyterLab go here, not into the book's figures/.
LAB_FIGURES := _build/lab/figures
LAB_ARGS    ?=
ROOT_ARGS   := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: report test lint bench data fetch check lab lock clean distclean venv browser-deps chromium cff preview

venv: $(TEST_STAMP)

$(RUNTIME_STAMP): requirements.lock pyproject.toml tools/venv.sh
	@tools/venv.sh "$(PYTHON)" $(VENV) $@ requirements.lock

$(TEST_STAMP): requirements-test.lock pyproject.toml tools/venv.sh
	@tools/venv.sh "$(PYTHON)" $(VENV) $@ requirements-test.lock

$(DEV_STAMP): requirements-dev.lock pyproject.toml tools/venv.sh
	@tools/venv.sh "$(PYTHON)" $(VENV) $@ requirements-dev.lock

# ENGINE=builtin (default) or ENGINE=quarto (the Quarto CLI on PATH): see README, "Engines".
ENGINE ?= builtin

report: $(RUNTIME_STAMP)
	$(VENV)/bin/exile-report build --engine $(ENGINE)

test: $(TEST_STAMP) browser-deps $(CFF_STAMP)
	CHROMIUM="$(CHROMIUM)" $(PY) -m pytest

preview: $(RUNTIME_STAMP)
	$(VENV)/bin/exile-report preview

# The commit checks of .pre-commit-config.yaml on every file (nbstripout, ruff, large files, cff).
lint: $(TEST_STAMP) $(CFF_STAMP)
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

bench: $(TEST_STAMP)
	$(PY) -m exile_report.bench

# Download the raw snapshots listed in data/sources.yml into $EXILE_RAW_DIR (default data/raw/).
fetch: $(RUNTIME_STAMP)
	$(VENV)/bin/exile-report fetch

data: $(RUNTIME_STAMP)
	$(VENV)/bin/exile-report data

check: $(RUNTIME_STAMP)
	$(VENV)/bin/exile-report check

lab: $(DEV_STAMP)
	mkdir -p $(LAB_FIGURES)
	EXILE_FIGURES_DIR="$(CURDIR)/$(LAB_FIGURES)" $(VENV)/bin/jupyter lab $(ROOT_ARGS) $(LAB_ARGS) chapters

# Regenerate uv.lock and the three hashed requirement files exported from it (needs uv:
# `pip install uv`, or .venv/bin/uv after `make lab`).
EXPORT := uv export --format requirements-txt --no-default-groups --group build --no-emit-project --no-header
define export_lock
	@{ echo "# $(2)"; \
	  echo "# Pinned and hashed; exported from uv.lock by 'make lock' (do not edit by hand), which runs:"; \
	  echo "#   uv lock && $(EXPORT)$(3) > $(1)"; \
	  $(UV) $(wordlist 2,100,$(EXPORT))$(3); } > $(1).tmp && mv $(1).tmp $(1)
endef

lock:
	@command -v $(UV) >/dev/null || { echo "error: uv not found; install it with 'pip install uv' (or 'make lab' and run 'make lock UV=.venv/bin/uv')" >&2; exit 1; }
	$(UV) lock
	$(call export_lock,requirements.lock,The book's runtime (make report; uv sync --no-default-groups).,)
	$(call export_lock,requirements-test.lock,The runtime and the tests (make test; uv sync --group test).,$(space)--group test)
	$(call export_lock,requirements-dev.lock,The runtime$(comma) the tests$(comma) JupyterLab and the commit hooks (make lab; uv sync).,$(space)--group dev)

comma := ,
space := $(subst x, ,x)

clean:
	rm -rf _build _book figures/*.png figures/*.svg figures/*.csv

# Also the environments made by make (.venv, .venv-cff) and the browser tests' node_modules.
distclean: clean
	rm -rf $(VENV) $(CFF_VENV) node_modules

# Browser tests and citation checks. Chromium comes from the system's packages (never a browser
# download of its own): make does not install it, it says how. axe-core comes from
# package-lock.json (exact version, integrity hashes); cffconvert from its own hashed lock in its
# own venv (it needs jsonschema<4, which the main venv's frictionless cannot share).

browser-deps: chromium $(AXE)

chromium:
	@found="$(CHROMIUM)"; \
	if [ -z "$$found" ]; then for b in $(BROWSERS); do \
	  if command -v $$b >/dev/null; then found=$$b; break; fi; done; fi; \
	if [ -z "$$found" ] || ! command -v "$$found" >/dev/null; then \
	  echo "note: no chromium found (CHROMIUM=$(CHROMIUM); tried: $(BROWSERS)); the browser tests will be skipped." >&2; \
	  echo "      To run them: sudo apt-get install -y chromium   (or make test CHROMIUM=/path/to/chromium)" >&2; \
	fi

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; the browser tests need it to install axe-core: sudo apt-get install -y npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

cff: $(CFF_STAMP)

$(CFF_STAMP): requirements-cff.lock tools/venv.sh
	@tools/venv.sh --bare "$(PYTHON)" $(CFF_VENV) $@ requirements-cff.lock
