# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := .make
PG_BIN ?= /usr/lib/postgresql/15/bin
CHROMIUM ?= /usr/bin/chromium
PORT ?= 5000
DEV_ENV := BETA_TRAINING_ENV=development FLASK_APP=app.py BASE_URL=$${BASE_URL:-http://127.0.0.1:$(PORT)}
# `make run-proconnect`: the loopback OpenID provider of the tests stands in for ProConnect (tests/oidc_provider.py).
PROCONNECT_DEV_PORT ?= 5901
PROCONNECT_DEV := PROCONNECT_CLIENT_ID=beta-training-test PROCONNECT_CLIENT_SECRET=secret-de-test-du-fournisseur \
	PROCONNECT_DISCOVERY_URL=http://127.0.0.1:$(PROCONNECT_DEV_PORT)/.well-known/openid-configuration \
	PROCONNECT_SCOPES="openid email profile given_name usual_name siret uid idp_id"
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run run-proconnect test test-sqlite test-postgres bench install install-test assets staticfiles translations translations-update system-deps clean

run: install
	$(DEV_ENV) $(BIN)/flask db upgrade
	$(DEV_ENV) $(BIN)/flask seed-demo
	@echo "beta_training: http://127.0.0.1:$(PORT) (comptes de démo dans README.md)"
	$(DEV_ENV) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

run-proconnect: install $(STAMP)/python-dev
	$(DEV_ENV) $(BIN)/flask db upgrade
	$(DEV_ENV) $(BIN)/flask seed-demo
	@echo "beta_training: http://127.0.0.1:$(PORT), ProConnect simulé sur http://127.0.0.1:$(PROCONNECT_DEV_PORT)"
	$(BIN)/python -m tests.oidc_provider --port $(PROCONNECT_DEV_PORT) & provider=$$!; trap "kill $$provider" EXIT; \
	$(DEV_ENV) $(PROCONNECT_DEV) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install-test
	$(BIN)/lint-imports --no-cache
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	$(BIN)/pytest -q -n 2 --dist loadfile

test-postgres:
	PG_BIN=$(PG_BIN) scripts/with-postgres.sh $(BIN)/pytest -q -n 2 --dist loadfile

# The load benchmark of issue #16 (benchmarks/README.md): data at scale, gunicorn against a bare Flask app under wrk,
# on SQLite then PostgreSQL, then a profile of each page; the tables go into benchmarks/RESULTS.md. About 20 minutes.
# BENCH_ARGS: e.g. `--databases sqlite --reuse`, or a reduced scale (`--learners 10000 --progress 100000`).
bench: install-test
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python benchmarks/load.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/profile_pages.py

install: $(STAMP)/python assets translations
install-test: install $(STAMP)/python-dev system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP)/python: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/python-dev: requirements-dev.txt $(STAMP)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

# Debian packages the tests need: Chromium for the browser tests, PostgreSQL 15 for the second pass, Redis for
# the shared rate limits (tests start their own redis-server on a loopback port), Pango for WeasyPrint's PDFs
# (the documents use the DSFR's own fonts; fontconfig wants one system font all the same).
system-deps:
	@if [ ! -x "$(CHROMIUM)" ] || [ ! -x "$(PG_BIN)/initdb" ] || ! command -v redis-server >/dev/null \
	  || ! ldconfig -p | grep -q libpangoft2-1.0.so.0; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium postgresql-15 redis-server \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; \
	fi

assets: static/dsfr/.copied

# static/dsfr/ by scripts/build_static.py, the same step a PaaS build runs (bin/post_compile), without npm: the
# DSFR versions pinned in package-lock.json, from node_modules/ if npm installed them, else from the npm
# registry's tarballs checked against the lock's sha512. Of its icon/utility CSS, only the classes that
# templates, scripts and code use (hence rebuilt when they change). Upgrading the DSFR:
# `DSFR_ACCEPT_LICENSE=1 npm install @gouvfr/dsfr@VERSION` (it rewrites package.json and package-lock.json).
CLASS_SOURCES := $(shell find templates static/js beta_training -type f \( -name '*.html' -o -name '*.txt' -o -name '*.js' -o -name '*.py' \) 2>/dev/null)
static/dsfr/.copied: package-lock.json scripts/build_static.py $(STAMP)/python $(CLASS_SOURCES)
	$(BIN)/python scripts/build_static.py assemble

# What production serves (hashed names, gzip and brotli), to try it locally: `make staticfiles`.
staticfiles: assets
	$(BIN)/python scripts/build_static.py collect

translations: $(STAMP)/python
	$(BIN)/pybabel compile --use-fuzzy -d translations >/dev/null

clean:
	rm -rf $(VENV) $(STAMP) static/dsfr staticfiles instance .pytest_cache

# After changing French strings: refresh the catalogue template and the English catalogue.
translations-update: $(STAMP)/python
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations
