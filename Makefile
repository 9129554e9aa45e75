# Developer entry points. Everything runs from a project-local virtualenv in .venv, so a fresh
# clone needs only python3 (>= 3.10) and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp records that `pip install -e .[dev]` ran against the current pyproject.toml, so
# `make setup` is a no-op (well under a second) until pyproject.toml changes.
STAMP := $(VENV)/.sluice-dev-installed
PYTEST_WORKERS ?= 2

# The web UI (ui/, docs/ui.md): `npm ci` reruns only when the lockfile changes, the build only
# when a source, the lockfile or the Vite config does. The build's index.html is its stamp.
UI_DEPS := ui/node_modules/.package-lock.json
UI_DIST := src/sluice/server/ui_dist/index.html
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json \
	ui/vite.config.ts ui/tsconfig.json

.PHONY: setup ui ui-api ui-dev demo test lint format bench clean

setup: $(STAMP) ui

ui: $(UI_DIST)

$(UI_DEPS): ui/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js >= 20.19 to build the web UI" >&2; exit 2; }
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(UI_DIST): $(UI_DEPS) $(UI_SOURCES)
	cd ui && npm run build --silent

# Regenerate the UI's API types after changing an /apis/sluice/v1 endpoint (a test checks them).
ui-api: $(STAMP) $(UI_DEPS)
	$(BIN)/python -m sluice.server.ui_api.openapi > ui/openapi.json
	cd ui && npm run api --silent

# Vite's dev server (hot reload) on :5173, its /apis proxied to a `sluice server` on :8888.
ui-dev: $(UI_DEPS)
	cd ui && npm run dev

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# Run the bundled training pipeline end to end (state lands in $$SLUICE_HOME, default ~/.sluice).
demo: setup
	$(BIN)/sluice run examples/train_pipeline.py

test: setup
	cd ui && npm test --silent
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 tests

# All three checks run even if one fails, so one pass shows every problem.
lint: setup
	@status=0; \
	echo "ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "ruff format --check ."; $(BIN)/ruff format --check . || status=1; \
	echo "mypy"; $(BIN)/mypy || status=1; \
	echo "ui typecheck"; (cd ui && npm run typecheck --silent) || status=1; \
	exit $$status

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Sluice vs kfp.local on a 20-task chain and a 100-wide ParallelFor (takes about three minutes).
bench: setup
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache src/*.egg-info \
		ui/node_modules src/sluice/server/ui_dist
