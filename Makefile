# Tandem — every task has one entry point here. `make help` lists them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test lint format migrate bench translations

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(INSTALLED)

install: $(INSTALLED) ## create .venv and install Tandem with its test tools

run: install migrate ## serve the demo on http://127.0.0.1:8000 with one job worker (SQLite, demo data, printed login)
	$(BIN)/tandem demo --if-empty
	$(BIN)/tandem serve

# Two pytest-xdist workers, given tests one by one; a module sharing a server or browser
# stays on one worker (tests/conftest.py, pytest_xdist_make_scheduler).
TEST_WORKERS ?= 2

# Some images set PYTHONDONTWRITEBYTECODE: then every worker and every server a test starts
# compiles the app and the tests anew (seconds each); the suite keeps Python's default cache.
test: install ## run the whole test suite (PostgreSQL too when TANDEM_TEST_DATABASE_URL is set)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

lint: install ## ruff lint and format check, mypy type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install ## upgrade the database (TANDEM_DATABASE_URL) to the newest schema
	$(BIN)/tandem migrate

bench: install ## run the benchmarks (quick sizes; see benchmarks/ for more)
	$(BIN)/python benchmarks/matching.py --quick

translations: install ## extract messages and merge them into every catalogue
	$(BIN)/pybabel extract -F babel.cfg -k N_ --add-comments=Translators: --no-location --sort-output -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching
