# studienav: `make run` serves the site with demo data, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := studienav.settings

.PHONY: install run demo test lint format typecheck pytest bench messages lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@command -v npm >/dev/null || { echo "npm is needed for front-end assets (Node.js 20)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(BIN)/pybabel -q compile -d src/studienav/locale -D django
	@touch $(STAMP)

# Development mode, asked for explicitly: the settings default to production (mypy's Django
# plugin loads them too).
run demo lint messages: export DEBUG = 1

run: install
	$(BIN)/studienav migrate --no-input
	$(BIN)/studienav demo-data
	$(BIN)/studienav runserver 127.0.0.1:$(PORT)

demo: install
	$(BIN)/studienav migrate --no-input
	$(BIN)/studienav demo-data

test: install lint pytest

pytest: install
	$(BIN)/pytest -p no:cacheprovider -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src tests benchmarks

format: install
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Refresh the catalogues after changing user-facing text; English is filled from the msgids.
messages: install
	cd src/studienav && ../../$(BIN)/studienav makemessages --no-location --no-obsolete -l sv -l en --ignore 'migrations/*'
	$(BIN)/python -m studienav.core.catalogues fill-english src/studienav/locale/en/LC_MESSAGES/django.po
	$(BIN)/python -m studienav.core.catalogues tidy src/studienav/locale/sv/LC_MESSAGES/django.po sv
	$(BIN)/pybabel -q compile -d src/studienav/locale -D django

lock:
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules var/static
