# Afsprakenmonitor — `make run` starts the demo site, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: run setup test lint format bench bench-demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)
	SESSION_COOKIE_SECURE=false $(FLASK) setup

# The local demo is served over plain HTTP, so its cookie cannot be Secure.
run: setup
	SESSION_COOKIE_SECURE=false $(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bench-demo

# Builds the national demo data set in a scratch SQLite file: time and size.
bench-demo: $(STAMP)
	$(BIN)/python -m benchmarks.demo_build --scale national

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
