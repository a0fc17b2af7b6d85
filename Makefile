# Samen: the README's two commands (make run, make test), plus bench and lint.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
# pytest-xdist workers; "0" runs in one process. On SQLite, three on two cores: browser tests spend
# much of their time waiting for Chromium and the live server, and a third worker fills that
# (285 s against 303 s). On PostgreSQL the server wants its share of the cores: two (384 s
# against 408 s with three).
WORKERS ?= $(if $(DATABASE_URL),2,3)
# Samen runs with debug off, as in production, and then refuses to start without a secret key. Unless
# SAMEN_SECRET_KEY is set, make uses one of this checkout's own, made once in .secret-key (never committed).
SECRET_KEY_FILE := .secret-key
export SAMEN_SECRET_KEY ?= $(shell test -s $(SECRET_KEY_FILE) || \
  (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_' > $(SECRET_KEY_FILE)); \
  cat $(SECRET_KEY_FILE))

compile-messages:
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules >/dev/null; \
	  else echo "msgfmt not found: using the committed .mo catalogues"; fi

.PHONY: compile-messages help install install-test frontend chromium run migrate seed test lint bench messages clean

help:
	@echo "make run    install, migrate, seed demo data and serve on http://$(HOST):$(PORT)/ (SQLite)"
	@echo "make test   install what the tests need, then run them all"
	@echo "make bench  run the benchmarks in bench/ and write bench/results/latest.json"
	@echo "make lint   ruff and mypy"

# The virtualenv is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@python=$$(bin/find-python) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,semantic]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed
install-test: $(VENV)/.installed-test node_modules/.installed chromium

frontend: node_modules/.installed

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is still missing"; exit 1; }

migrate: install
	$(PY) manage.py migrate --noinput
	@$(MAKE) --no-print-directory compile-messages

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py collectstatic --noinput >/dev/null
	@echo
	@echo "  Samen is running at http://$(HOST):$(PORT)/"
	@$(PY) manage.py seed_demo --logins
	@echo "  Stop with Ctrl-C."
	@echo
	@trap 'kill 0' EXIT; \
	  $(PY) manage.py db_worker & \
	  $(VENV)/bin/gunicorn samen.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 \
	    --access-logfile - --graceful-timeout 5

test: install-test
	@$(MAKE) --no-print-directory compile-messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy samen
	$(PY) -m pytest -n $(WORKERS) $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy samen

bench: install-test
	$(PY) bench/run.py

# French and Haitian Creole cover the root catalogue (the reporter's pages and the site around them); the feature
# apps with a catalogue of their own (samen/<app>/locale/) speak English and Dutch, so they are left out of those two.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=bench --ignore=tests --ignore=staticfiles
FEATURE_CATALOGUES := $(patsubst %/locale,--ignore=%,$(wildcard samen/*/locale))

messages: install
	$(PY) manage.py makemessages -l nl $(MESSAGES_IGNORE)
	$(PY) manage.py makemessages -l fr -l ht $(MESSAGES_IGNORE) $(FEATURE_CATALOGUES)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules staticfiles
