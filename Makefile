# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Test processes (pytest-xdist): each has its own test database and cache key prefix.
PYTEST_WORKERS ?= 2
PIP := $(VENV)/bin/pip
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test lint bench venv deps dev-deps browser imap gettext messages migrate seed clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(VENV)/.deps: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.deps $@

venv: $(VENV)/.deps
deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

migrate: deps
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --cases $${SEED_CASES:-300}

## run: install, migrate, load demo data, serve web + worker + beat on http://127.0.0.1:8000
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/honcho start --procfile Procfile

## browser: Debian's Chromium for the browser tests (needs root or sudo; skipped when present)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

## imap: Debian's dovecot, the real IMAP server of the inbound mail tests (tests/comms/imap.py)
imap:
	@command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; fi; }

## gettext: Debian's GNU gettext, for makemessages/compilemessages and the catalogue tests
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq gettext >/dev/null; fi; }

# What makemessages leaves out: not the product's code (tests/escalation/test_i18n_catalogue.py).
MESSAGES_IGNORE := --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'node_modules/*'

## messages: the Italian catalogue from the code (locale/it/LC_MESSAGES/django.po), compiled
messages: deps gettext
	$(PY) manage.py makemessages -l it --add-location file $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages -l it --ignore .venv --ignore var

## test: the whole suite (on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
test: dev-deps browser imap gettext
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy escalation cases sla forecasts alerts comms reviews incidents reports contracts demo
	$(VENV)/bin/lint-imports

bench: dev-deps
	$(PY) -m bench $(BENCH_ARGS)

## smoke: gunicorn, a Celery worker and beat with production settings on PostgreSQL and Redis
## (DATABASE_URL's server, database escalation_smoke; REDIS_URL): a case raised through the API
## is escalated and /healthz and /metrics answer, within SMOKE_TIMEOUT seconds (scripts/smoke.py)
.PHONY: smoke
smoke: deps
	$(PY) scripts/smoke.py --timeout $${SMOKE_TIMEOUT:-60}

clean:
	rm -rf $(VENV) var
