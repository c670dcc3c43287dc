# Quantum Facility Records: `make run` (embedded demo) and `make test` (everything CI checks).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# uv installs the versions uv.lock holds; this version of uv is the one pyproject.toml requires.
UV_VERSION := 0.13.8
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
# uv installs into $(VENV), never downloads an interpreter, and fails when uv.lock does not satisfy pyproject.toml.
UV_SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(UV) sync --locked

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qfr
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
SQLITE_DATABASE_URL ?= sqlite:///$(CURDIR)/var/test-main.sqlite3
# The deployment test's broker and cache: Redis databases of their own, apart from the suite's (it empties them).
DEPLOY_BROKER_URL ?= redis://127.0.0.1:6379/14
DEPLOY_CACHE_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: help install run dev worker qpu-worker beat fmt lint typecheck migrations-check services-check test test-postgres test-sqlite test-deploy bench ci messages lock audit

help:
	@echo "make run    install, migrate, load demo data, serve web + workers + beat (SQLite, filesystem broker)"
	@echo "make test   lint, types, migrations check, tests on PostgreSQL + Redis, the README's production deployment, SQLite"
	@echo "make bench  benchmarks (bench/)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(UV_STAMP): | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@touch $(UV_STAMP)

# Every time: uv checks the environment against uv.lock in milliseconds and installs only what differs.
install: $(UV_STAMP)
	@$(UV_SYNC) --quiet

run: install
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py seed_demo
	@VENV=$(VENV) bash scripts/run.sh

dev: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py runserver 127.0.0.1:8000

worker: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/celery -A config worker -Q default,reports -l info -n worker@%h

qpu-worker: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/celery -A config worker -Q qpu -P solo -l info -n qpu@%h

beat: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/celery -A config beat -l info

fmt: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

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
# The deployment test (marker `deploy`) runs once, in test-deploy, not in either suite.
test-postgres: install services-check
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) $(BIN)/pytest --create-db -m "not deploy" $(PYTEST_ARGS)

test-sqlite: install
	@mkdir -p var
	DATABASE_URL=$(SQLITE_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) $(BIN)/pytest --create-db -m "not deploy" $(PYTEST_ARGS)

# The README's production deployment, step by step, on a fresh PostgreSQL database (tests/deploy/test_production.py),
# and `make run`'s processes on a fresh SQLite database (tests/deploy/test_embedded.py).
test-deploy: install services-check
	DATABASE_URL=$(TEST_DATABASE_URL) DEPLOY_BROKER_URL=$(DEPLOY_BROKER_URL) DEPLOY_CACHE_URL=$(DEPLOY_CACHE_URL) \
	  $(BIN)/pytest -m deploy tests/deploy $(PYTEST_ARGS)

test: install services-check lint typecheck migrations-check
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-deploy
	$(MAKE) --no-print-directory test-sqlite

bench: install services-check
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) bash scripts/bench.sh

# uv.lock pins every dependency (with hashes) for every install; `make lock` refreshes it after pyproject.toml
# changes, keeping the locked versions that still fit (`uv lock --upgrade-package NAME` moves one on).
lock: $(UV_STAMP)
	$(UV) lock

# pip-audit checks the locked versions against the advisory databases (needs network).
audit: install
	@mkdir -p var
	$(UV) export --locked --quiet --format requirements-txt --no-emit-project --output-file var/requirements-audit.txt
	$(BIN)/pip-audit -r var/requirements-audit.txt --require-hashes --disable-pip --progress-spinner off --strict

ci: test
