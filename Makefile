# Dialogue — set-up, run, test, lint. `make run` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
TRANSLATIONS := dialogue/translations

.PHONY: run test lint format venv system-check translations extract-messages browser a11y nginx deploy-check clean help

help:
	@echo "make run     set up and serve the demo ward on http://127.0.0.1:$(PORT) (SQLite)"
	@echo "make test    set up and run the whole test suite"
	@echo "make lint    ruff check and format check"

$(STAMP): setup.cfg constraints.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: apt-get install python3 python3-venv"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dev]'
	@touch $@

venv: $(STAMP)

system-check: $(STAMP)
	@missing="$$($(BIN)/python -m dialogue.ops.syscheck --packages)"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing the libraries WeasyPrint needs: $$missing"; \
		(apt-get install -y -qq $$missing >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null)); \
	fi
	@$(BIN)/python -m dialogue.ops.syscheck

# Each catalogue is compiled when its .po is newer than its .mo, so a second make (CI's two suites
# start side by side) finds them made and never rewrites one that a running suite reads.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

translations: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(STAMP)
	@$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -l $*

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --ignore-dirs='.*' -o $(TRANSLATIONS)/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete

run: system-check translations
	@mkdir -p instance
	DIALOGUE_ENV=$${DIALOGUE_ENV:-development} $(FLASK) db upgrade
	DIALOGUE_ENV=$${DIALOGUE_ENV:-development} DIALOGUE_PUBLIC_URL=$${DIALOGUE_PUBLIC_URL:-http://127.0.0.1:$(PORT)} \
		$(FLASK) dialogue seed-demo --if-empty
	@# The job worker (mail, periodic jobs) runs beside the server and stops with it.
	export DIALOGUE_ENV=$${DIALOGUE_ENV:-development} DIALOGUE_PUBLIC_URL=$${DIALOGUE_PUBLIC_URL:-http://127.0.0.1:$(PORT)}; \
		$(FLASK) dialogue worker --workers 1 & worker=$$!; \
		trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
		trap 'exit 130' INT TERM; \
		$(FLASK) run --host 127.0.0.1 --port $(PORT)

browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's Chromium for the browser tests…"; \
			(apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
		else \
			echo "Browser tests need Debian's Chromium: sudo apt-get install chromium (they are skipped without it)."; \
		fi; \
	fi

# The accessibility checkers of tests/browser/test_accessibility.py: axe-core and the Nu Html
# Checker (vnu.jar) from the npm registry, pinned by tests/a11y/package-lock.json; vnu.jar runs
# on Debian's Java runtime. Its install script would fetch a Java of its own: --ignore-scripts.
# Without them the test is skipped, except in CI (CI=true), where it fails.
A11Y := tests/a11y
A11Y_STAMP := $(A11Y)/node_modules/.installed

a11y: $(A11Y_STAMP)
	@if ! command -v java >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's Java runtime for the Nu Html Checker…"; \
			(apt-get install -y -qq default-jre-headless >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null)); \
		else \
			echo "The Nu Html Checker needs Java: sudo apt-get install default-jre-headless (the accessibility test is skipped without it)."; \
		fi; \
	fi

$(A11Y_STAMP): $(A11Y)/package.json $(A11Y)/package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's npm for the accessibility checkers…"; \
		(apt-get install -y -qq npm >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq npm >/dev/null)); \
	fi
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(A11Y) --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@ || \
			echo "npm ci in $(A11Y) failed: the accessibility test is skipped."; \
	else \
		echo "The accessibility checkers need npm: sudo apt-get install npm (the accessibility test is skipped without it)."; \
	fi

# The deployment check (tests/test_deploy.py) runs Debian's nginx with deploy/nginx/dialogue.conf.
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's nginx for the deployment check…"; \
			(apt-get install -y -qq nginx >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nginx >/dev/null)); \
		else \
			echo "The deployment check needs Debian's nginx: sudo apt-get install nginx (it is skipped without it)."; \
		fi; \
	fi

test: system-check translations browser a11y nginx
	$(BIN)/pytest $(PYTEST_ARGS)

# deploy/ for real: nginx with the site file in front of the web and streams gunicorns, on
# PostgreSQL and Redis (DIALOGUE_TEST_DATABASE_URL / DIALOGUE_TEST_REDIS_URL, else its own).
deploy-check: system-check translations nginx
	$(BIN)/pytest -m deploy tests/test_deploy.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(A11Y)/node_modules
