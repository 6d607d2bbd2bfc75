# Front door. Two commands on a fresh Debian machine with Python 3.11:
#   make report   build the report (HTML, PDF, country profiles) into reports/
#   make test     run the test suite
# Both create .venv and install the pinned requirements when needed, and are idempotent.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: report test lint curate validate install lab browser-check bench clean-reports

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

install: $(STAMP)

report: $(STAMP)
	$(PY) -m analysis validate
	$(PY) -m analysis build $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check --no-cache src tests bench scripts

curate: $(STAMP)
	$(PY) -m analysis curate

validate: $(STAMP)
	$(PY) -m analysis validate

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

browser-check: $(STAMP)
	bash scripts/browser_check.sh

bench: $(STAMP)
	$(PY) bench/bench_profiles.py $(ARGS)
