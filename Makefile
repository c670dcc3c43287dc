# Quantum Facility Records: `make run` (embedded demo) and `make test` (everything CI checks).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qfr
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
SQLITE_DATABASE_URL ?= sqlite:///$(CURDIR)/var/test-main.sqlite3
PYTEST_ARGS ?=

.PHONY: help install run dev worker beat fmt lint typecheck migrations-check services-check test test-postgres test-sqlite bench ci messages lock audit

help:
	@echo "make run    install, migrate, load demo data, serve web + worker + beat (SQLite, filesystem broker)"
	@echo "make test   lint, types, migrations check, tests on PostgreSQL + Redis, then on SQLite"
	@echo "make bench  benchmarks (bench/)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --disable-pip-version-check --group dev -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py createcachetable
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py seed_demo
	@VENV=$(VENV) bash scripts/run.sh

dev: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py runserver 127.0.0.1:8000

worker: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/celery -A config worker -Q default,qpu,reports -l info

beat: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/celery -A config beat -l info

fmt: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check

messages: install
	cd $(CURDIR) && $(PY) manage.py makemessages -l ko --ignore=.venv --ignore=var --ignore=tests && $(PY) scripts/po_fill.py && $(PY) manage.py compilemessages -l ko --ignore=.venv

services-check: install
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) scripts/check_services.py

# `--create-db`: the suite never trusts a test database left behind by an earlier run or another checkout.
test-postgres: install services-check
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) $(BIN)/pytest --create-db $(PYTEST_ARGS)

test-sqlite: install
	@mkdir -p var
	DATABASE_URL=$(SQLITE_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) $(BIN)/pytest --create-db $(PYTEST_ARGS)

test: install services-check lint typecheck migrations-check
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-sqlite

bench: install services-check
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) bash scripts/bench.sh

# requirements.lock pins what .venv holds; pip-audit checks it against the advisory databases (needs network).
lock: install
	{ echo "# Locked dependencies of the virtual environment, for pip-audit and reproducible installs."; \
	  echo "# Made by \`make lock\` (.venv/bin/pip freeze --exclude-editable); audited by \`make audit\`. Do not edit by hand."; \
	  $(BIN)/pip freeze --exclude-editable; } > requirements.lock

audit: install
	$(BIN)/pip-audit -r requirements.lock --no-deps --progress-spinner off --strict

ci: test
