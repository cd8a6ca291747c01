# The two set-up commands of the README: `make up` runs the product, `make test` runs every test.
# Each installs what it needs first, so both work on a fresh clone: the Python environment
# from uv.lock, bun (pinned, into the environment) for the web app, and Chromium for the
# browser tests. `make lock` is the deliberate step that upgrades what they install.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BUN_VERSION := 1.4.5
BUN_DIR := $(VENV)/bun
BUN := $(BUN_DIR)/.installed-$(BUN_VERSION)

.PHONY: up test lint lock

# uv itself comes first, at the version and with the hashes uv.lock gives it; it then
# installs exactly what uv.lock pins (refusing a lock that pyproject.toml no longer matches)
# and removes anything else.
$(INSTALLED): pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(PYTHON) scripts/locked_requirement.py uv > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	$(BIN)/uv sync --quiet --locked --extra test
	touch $(INSTALLED)

# Reflex installs and builds the frontend with this bun (rxconfig.py points it here) against
# reflex.lock/bun.lock, and refuses a lock its package.json no longer matches.
$(BUN):
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js with npm first" >&2; exit 1; }
	rm -rf $(BUN_DIR)
	npm install --prefix $(BUN_DIR) --no-save --no-fund --no-audit --loglevel=error bun@$(BUN_VERSION)
	touch $(BUN)

up: $(INSTALLED) $(BUN)
	$(BIN)/routerai up

lint: $(INSTALLED)
	$(BIN)/uv lock --check --quiet
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(INSTALLED) $(BUN) lint
	bash scripts/install-system-deps.sh
	bash scripts/test.sh

# Upgrades, on purpose: every Python package to its newest release within pyproject.toml's
# ranges, then the web app's packages (Reflex rewrites reflex.lock/ from the Reflex just
# installed). Run `make test` after, and commit pyproject.toml, uv.lock and reflex.lock/.
lock: $(INSTALLED) $(BUN)
	$(BIN)/uv lock --upgrade
	$(BIN)/uv sync --quiet --locked --extra test
	rm -f reflex.lock/bun.lock
	$(BIN)/reflex compile --no-rich
	touch $(INSTALLED)
