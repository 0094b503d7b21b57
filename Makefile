# Roster — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# axe-core for the browser tests' accessibility audits (package-lock.json).
$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NPM_STAMP); \
	else \
		echo "npm not found: skipping axe-core; the accessibility tests will be skipped."; \
	fi

install: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

run: install
	PORT=$(PORT) DEMO=$(DEMO) $(BIN)/python -m portal.run

# Tests keep their embedded broker, mail and SQLite files apart from `make run`'s.
test: $(STAMP) $(NPM_STAMP)
	ROSTER_VAR_DIR=$${ROSTER_VAR_DIR:-$(CURDIR)/var/test} $(BIN)/python -m pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/people_list.py

clean:
	rm -rf $(VENV) var node_modules
