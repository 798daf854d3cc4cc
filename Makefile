# Two commands do everything on a fresh machine (see README):
#   make demo   set up, generate demo data, build the warehouse, print a summary
#   make test   set up and run every test (lint, dbt tests, unit tests, GE, pytest)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/python scripts/pipeline.py $(ARGS)

test: setup
	$(BIN)/python scripts/run_tests.py $(ARGS)

clean:
	rm -rf target logs output warehouse/*.duckdb warehouse/.duckdb_tmp
