# Developer entry points. Everything runs from a project-local virtualenv in .venv, so a fresh
# clone needs only python3 (>= 3.10) and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp records that `pip install -e .[dev]` ran against the current pyproject.toml, so
# `make setup` is a no-op (well under a second) until pyproject.toml changes.
STAMP := $(VENV)/.sluice-dev-installed
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# Run the bundled training pipeline end to end (state lands in $$SLUICE_HOME, default ~/.sluice).
demo: setup
	$(BIN)/sluice run examples/train_pipeline.py

test: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests

# All three checks run even if one fails, so one pass shows every problem.
lint: setup
	@status=0; \
	echo "ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "ruff format --check ."; $(BIN)/ruff format --check . || status=1; \
	echo "mypy"; $(BIN)/mypy || status=1; \
	exit $$status

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Sluice vs kfp.local on a 20-task chain and a 100-wide ParallelFor (takes about three minutes).
bench: setup
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache src/*.egg-info
