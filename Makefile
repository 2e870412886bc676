# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ARGS ?=

.PHONY: demo test lint pytest services clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sitmon needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[demo]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

## Run the daemon with an emulated wearable, an embedded broker if none is reachable, and the dashboard.
demo: $(VENV)/.installed-demo
	$(BIN)/sitmon demo $(DEMO_ARGS)

## Install what the tests need (Mosquitto, Chromium, D-Bus) and run lint, types and the whole suite.
test: $(VENV)/.installed-dev services lint pytest

services:
	scripts/ensure-test-services.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check monitor dashboard tests bench
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) test-output .pytest_cache .mypy_cache .ruff_cache
