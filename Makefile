# Afsprakenmonitor — `make run` starts the demo site, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

PO := $(wildcard web/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: install run serve scheduler screenshots setup test lint format bench bench-demo bench-batch bench-reports bench-uploads bench-web fuzz translations clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The translation catalogues are compiled by the install, never committed.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# NL Design System: the CSS of the components the pages use, from the npm
# packages package-lock.json pins (@utrecht/component-library-css, EUPL-1.2),
# joined into one git-ignored file that Flask serves as a static file beside
# the project's theme (web/static/theme.css). `npm ci` runs again only when
# package.json or the lockfile is newer than node_modules; nothing is fetched
# at run time.
NODE_STAMP := node_modules/.installed
VENDOR := web/static/vendor
VENDOR_CSS := $(VENDOR)/utrecht.css
UTRECHT_COMPONENTS := document body skip-link page-header page-footer nav-bar nav-list \
	link link-button button button-link button-group alert status-badge table pagination \
	form-field form-label form-field-description form-field-error-message form-fieldset \
	textbox textarea select radio-button checkbox

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENDOR_CSS): $(NODE_STAMP) Makefile
	mkdir -p $(VENDOR)
	{ echo '@charset "UTF-8";'; \
	  echo "/* @utrecht/component-library-css $$(node -p "require('./node_modules/@utrecht/component-library-css/package.json').version") (EUPL-1.2, LICENSE.md beside this file): $(UTRECHT_COMPONENTS). Made by make install; not edited by hand. */"; \
	  for name in $(UTRECHT_COMPONENTS); do sed '/^@charset/d' node_modules/@utrecht/$$name-css/dist/index.css; done; } > $@.tmp
	cp node_modules/@utrecht/component-library-css/LICENSE.md $(VENDOR)/LICENSE.md
	mv $@.tmp $@

install: $(STAMP) $(MO) $(VENDOR_CSS)

# Refresh the catalogue after changing user-facing text; then translate the new entries.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header \
		-o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations \
		--width 100 --ignore-obsolete

setup: install
	SESSION_COOKIE_SECURE=false $(FLASK) setup

# The local demo is served over plain HTTP, so its cookie cannot be Secure.
# The scheduler (nightly batch, outbox) runs as its own process beside the site.
# `make run PORT=8080` serves on another port (default 5000).
run: setup
	$(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	SESSION_COOKIE_SECURE=false $(FLASK) run --host 127.0.0.1 --port $(or $(PORT),5000)

# Production: the schema brought up to date, then the scheduler as its own
# process and the site under gunicorn (gunicorn.conf.py; PORT, default 8000,
# WEB_WORKERS, WEB_THREADS). The same environment variables as everything else.
# With several hosts, run `flask --app wsgi db upgrade` once and start each
# piece on its own (deploy/ has the systemd units).
serve: install
	$(FLASK) db upgrade
	$(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --config gunicorn.conf.py

scheduler: install
	$(FLASK) scheduler

# Pictures of the demo for README.md and docs/ (needs `make setup` and /usr/bin/chromium).
screenshots: setup
	$(BIN)/python scripts/screenshots.py --out docs/img

# The suite on two workers (the machines have two cores), a test file per
# worker at a time; `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bench-demo bench-batch bench-reports bench-uploads bench-web

# Builds the national demo data set in a scratch SQLite file: time and size.
bench-demo: install
	$(BIN)/python -m benchmarks.demo_build --scale national

# The batch on national data: SQLite, then PostgreSQL (a scratch database on
# BENCH_DATABASE_URL's server, default the local one).
BENCH_PG ?= postgresql://postgres@127.0.0.1:5432/am_bench
bench-batch: install
	$(BIN)/python -m benchmarks.batch
	psql "$(dir $(BENCH_PG))postgres" -qc 'DROP DATABASE IF EXISTS $(notdir $(BENCH_PG))' -c 'CREATE DATABASE $(notdir $(BENCH_PG))'
	$(BIN)/python -m benchmarks.batch --database-url $(BENCH_PG)

# The reports of one cycle on national data (SQLite): the national workbook
# against its write-only floor, all gemeente workbooks, all organisation PDFs.
bench-reports: install
	$(BIN)/python -m benchmarks.reports

# The long fuzz run: every parser property with FUZZ_EXAMPLES examples each
# (Hypothesis prints how many ran per property).
FUZZ_EXAMPLES ?= 3000
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -m slow tests/domain/test_fuzz.py \
		-p no:cacheprovider --hypothesis-show-statistics -k "not postgresql" -q

# Hostile uploads: time and peak memory of refusing each one (and of a full-size file).
bench-uploads: install
	$(BIN)/python -m benchmarks.uploads

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(VENDOR)

# Pages under gunicorn (gunicorn.conf.py) on national data with 8 clients,
# each after the minimal route, then 32 concurrent writers: SQLite, then
# PostgreSQL (the data sets are built once and reused), in one table.
BENCH_WEB_PG ?= postgresql://postgres@127.0.0.1:5432/am_bench_web
bench-web: install
	$(BIN)/python -m benchmarks.web --database-url sqlite --database-url $(BENCH_WEB_PG)
