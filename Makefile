# Two commands do everything on a fresh machine (see README):
#   make demo   set up, generate demo data, build the warehouse, print a summary
#   make test   set up and run every test (lint, dbt tests, unit tests, GE, pytest)
# and one more for the Spark port (README "Running on Spark / a cluster"):
#   make test-spark   set up .venv-spark (PySpark; needs Java 17), build the
#                     whole project on local Spark and compare its marts with DuckDB's
#   make test-cluster the same through a Spark Thrift Server on a local standalone
#                     cluster (master + 2 workers; docs/spark-cluster.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SPARK_VENV ?= .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin

.PHONY: demo test setup setup-spark test-spark test-cluster clean

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

# The Spark environment is separate from .venv: PySpark is large and only
# this target needs it.
$(SPARK_BIN)/.installed: requirements-spark.txt
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/pip install --quiet --upgrade pip
	$(SPARK_BIN)/pip install --quiet -r requirements-spark.txt
	touch $@

setup-spark: $(SPARK_BIN)/.installed

test-spark: setup-spark
	$(SPARK_BIN)/python scripts/run_spark_tests.py $(ARGS)

test-cluster: setup-spark
	$(SPARK_BIN)/python scripts/run_cluster_tests.py $(ARGS)

clean:
	rm -rf target logs output warehouse/*.duckdb warehouse/.duckdb_tmp
