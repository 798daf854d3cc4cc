# Two commands do everything on a fresh machine (see README.md); `make help`
# lists every target. The Spark port (docs/spark.md) has its own:
#   make test-spark   set up .venv-spark (PySpark; needs Java 17), build the
#                     whole project on local Spark and compare its marts with DuckDB's
#   make test-cluster the same through a Spark Thrift Server on a local standalone
#                     cluster (master + 2 workers; docs/spark-cluster.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SPARK_VENV ?= .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin

.PHONY: help demo test setup setup-spark test-spark test-cluster dashboard docs clean

help:
	@echo 'make demo        generate demo data when needed, build + test + publish the warehouse,'
	@echo '                 print a summary and write the dashboard (ARGS="--help" lists options)'
	@echo 'make test        every check on the committed fixture data (lint, dbt, GE, pytest)'
	@echo 'make test-spark  the whole project on local Spark, compared with DuckDB (Java 17)'
	@echo 'make test-cluster  the same through a Thrift server on a local standalone Spark cluster'
	@echo 'make dashboard   write output/dashboard.html from the published warehouse'
	@echo 'make docs        build dbt docs (models, columns, lineage) from the published warehouse'
	@echo 'make clean       remove everything generated; keeps .venv and .venv-spark'
	@echo 'make setup       create .venv (make setup-spark: .venv-spark)'

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(BIN)/.installed

demo: setup
	@$(BIN)/python scripts/pipeline.py $(ARGS)

test: setup
	@$(BIN)/python scripts/run_tests.py $(ARGS)

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

dashboard: setup
	@$(BIN)/python scripts/dashboard.py $(ARGS)

docs: setup
	@$(BIN)/python scripts/build_docs.py $(ARGS)

# Everything generated: demo data, the published warehouse and its builds,
# Spark's tables, dbt's target/logs, output/. The environments stay.
clean:
	rm -rf target logs output data/generated warehouse/*.duckdb warehouse/*.duckdb.wal \
		warehouse/*.publish.json warehouse/builds warehouse/spark warehouse/.duckdb_tmp
	@echo 'kept: .venv and .venv-spark (the Python environments; delete them by hand to reinstall)'
