# Front door. Two commands on a fresh Debian machine with Python 3.11:
#   make report   build the report (HTML, PDF, country profiles) into reports/
#   make test     run the test suite
# Both create .venv and install the pinned requirements when needed, and are idempotent.
# Scheduled builds refresh the data first: make update && make report (see README).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=
FETCH_ARGS ?=

.PHONY: report test lint update curate validate install lab browser-check bench clean-reports

PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
UV     := $(VENV)/bin/uv

# The pinned requirements are installed with uv (itself installed from PyPI into .venv when it is
# not there): ~20 s instead of 4-5 min with pip on the reference machine. pip is the fallback when uv
# cannot be installed or fails. requirements.lock stays the one list of versions.
# Bytecode is compiled at install time (uv --compile-bytecode; pip does it by default; compileall for
# src/): where PYTHONDONTWRITEBYTECODE is set, as on the reference machine, every process would
# otherwise compile ~800 modules from source again (~2 s per process, per kernel, per test subprocess).
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(UV) --version >/dev/null 2>&1 || $(PIP) uv >/dev/null 2>&1; then \
		echo "installing requirements.lock with uv"; \
		$(UV) pip install --quiet --compile-bytecode --python $(PY) -r requirements.lock \
		&& $(UV) pip install --quiet --python $(PY) --no-deps -e . \
		|| { echo "uv failed: installing with pip"; $(PIP) -r requirements.lock && $(PIP) --no-deps -e .; }; \
	else \
		echo "uv not available: installing requirements.lock with pip"; \
		$(PIP) -r requirements.lock && $(PIP) --no-deps -e .; \
	fi
	$(PY) -m compileall -q -j 0 src >/dev/null
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

install: $(STAMP)

report: $(STAMP)
	$(PY) -m analysis validate
	$(PY) -m analysis build $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n auto $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check --no-cache src tests bench scripts

# Refresh the data: fetch every public source (new dated snapshots under data/raw; nothing written
# for a source with nothing new or one that fails), curate from the newest snapshot of each source
# that validates, validate. Fails when a source failed or a new snapshot was rejected; the sources
# that did fetch are curated all the same. FETCH_ARGS="worldbank --offline" etc. go to fetch.
update: $(STAMP)
	rc=0; $(PY) -m analysis fetch $(FETCH_ARGS) || rc=$$?; \
	if [ $$rc -ge 2 ]; then exit $$rc; fi; \
	$(PY) -m analysis curate && $(PY) -m analysis validate && exit $$rc

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
