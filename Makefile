# Konvergensi: one machine, no services. `make demo` runs the whole pipeline on generated data;
# `make test` runs lint and the test suite (CI calls exactly this).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ROWS ?= 50000

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__PARALLELISM ?= 4
# timeout: with `make airflow` the scheduler and CLI commands share SQLite; wait for its lock
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN ?= sqlite:///$(AIRFLOW_HOME)/airflow.db?timeout=60
export KONVERGENSI_DATA_ROOT ?= $(CURDIR)/data
export KONVERGENSI_CONTRACTS_DIR ?= $(CURDIR)/contracts
export PYTHONPATH := $(CURDIR)/include:$(PYTHONPATH)

.PHONY: help venv lock demo test lint format airflow bench clean

help:
	@echo "make demo     generate a sample for Kabupaten Kupang and run every DAG end to end"
	@echo "make test     lint + tests (what CI runs)"
	@echo "make airflow  start the Airflow UI locally (Ctrl-C stops it)"
	@echo "make bench    every benchmark at 1,000,000 source rows (about half an hour)"
	@echo "make lock     re-resolve requirements.txt from requirements.in"

# --compile-bytecode: every process (Airflow task, benchmark child) imports precompiled modules,
# even where PYTHONDONTWRITEBYTECODE stops Python from caching them itself.
$(BIN)/activate: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(BIN)/activate

venv: $(BIN)/activate

lock: venv
	$(BIN)/uv pip compile --quiet requirements.in -o requirements.txt --python-version 3.11

$(AIRFLOW_HOME)/airflow.db: | venv
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)

demo: venv $(AIRFLOW_HOME)/airflow.db
	AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING $(BIN)/python -m konvergensi demo --rows $(ROWS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest

# The pool caps the memory-heavy steps (stage, validate, resolve, build); the scheduler never
# starts a task whose pool is missing. Name and slots: konvergensi.airflow_support.
airflow: venv $(AIRFLOW_HOME)/airflow.db
	$(BIN)/airflow pools set konvergensi_heavy 2 "Konvergensi: memory-heavy steps" >/dev/null
	AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY="$$($(BIN)/python -m konvergensi key --airflow-conn)" \
	  $(BIN)/airflow standalone

# Every benchmark of docs/benchmarks.md at 1,000,000 rows, one after another (about half an hour,
# most of it the splink baseline; run on a quiet machine). Each also runs alone: see docs/benchmarks.md.
bench: venv
	$(BIN)/python bench/pipeline_bench.py --rows 1000000
	$(BIN)/python bench/ingest_bench.py --rows 1000000 --repeat 3
	$(BIN)/python bench/quality_bench.py --rows-per-month 1000000 --repeat 3
	$(BIN)/python bench/warehouse_bench.py --rows 1000000 --repeat 3
	$(BIN)/python bench/resolve_bench.py prepare --rows 1000000 --root /tmp/kv-resolve-1m
	$(BIN)/python bench/resolve_bench.py run --root /tmp/kv-resolve-1m

clean:
	rm -rf data .airflow test-artifacts
