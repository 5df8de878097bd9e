# The two commands of the README, and the steps behind them.
#   make run    set up a virtualenv, then serve the dashboard (demo data on first run)
#   make test   set up a virtualenv and Chromium, then run every test
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test check bench demo build report clean-data

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements.txt requirements-test.txt $(VENV)/.app
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.app
	$(PY) -m streamlit run dashboard.py --server.port $(PORT)

test: $(VENV)/.test
	scripts/ensure-chromium
	$(PY) -m outcomes check
	$(PY) -m pytest

check: $(VENV)/.test
	$(PY) -m outcomes check

demo: $(VENV)/.app
	$(PY) -m outcomes demo --build

build: $(VENV)/.app
	$(PY) -m outcomes build

report: $(VENV)/.app
	$(PY) -m outcomes report --out artifacts/report

bench: $(VENV)/.test
	$(PY) -m outcomes bench

clean-data:
	rm -rf data/demo data/*.duckdb
