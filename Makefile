# Two commands for a new user; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: demo test setup lint messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# The portal with demo data on the embedded defaults (SQLite, filesystem broker), with a
# real Celery worker and beat beside it. Ctrl-C stops all three.
demo: setup
	PORT=$(PORT) bash scripts/demo.sh

# The whole suite against PostgreSQL and Redis.
test: setup
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Every gate of docs/layers.md. The format check runs last, so that the others' verdicts are
# shown even while the tree waits for a `ruff format .`.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -p no:cacheprovider tests/test_layers.py
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) \
		$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff format --check .

# The translation catalogue (locale/zh_Hans) made again from the sources, and its .mo
# (core/catalogue.py; needs Debian's gettext for makemessages). Commit both files.
messages: setup
	$(BIN)/python -m core.catalogue
