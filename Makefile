# TechDock — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SCALE  ?= 1

.PHONY: demo test install install-dev serve lint check messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Embedded default: SQLite under var/ and tasks in-process, whatever the shell exports.
demo: install
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py migrate --noinput
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py seed_demo --scale $(SCALE)
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py run_predocking
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py demo_pairs
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py demo_conference --stage run
	@echo "TechDock is starting on http://$(HOST):$(PORT)/ (Ctrl-C stops it; the logins are printed above)"
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install-dev
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf var test-artifacts .pytest_cache

.PHONY: audit typecheck

# Security gates: bandit over our code, then pip-audit over the installed requirements (it needs
# its vulnerability service on the internet; unreachable, it warns that the audit was skipped).
audit: install-dev
	$(BIN)/bandit -q -c pyproject.toml -r .
	$(BIN)/python scripts/audit_dependencies.py

typecheck: install-dev
	$(BIN)/mypy
