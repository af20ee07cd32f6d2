# Two commands for a new machine:
#   make run    set up and serve the shop on 127.0.0.1:8000 (SQLite, in-process tasks, demo data)
#   make test   set up and run the whole test suite (PostgreSQL and Redis, started if down)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST_PORT ?= 127.0.0.1:8000
# Links in mail and Stripe's return addresses follow the port served, unless SITE_URL is given.
SITE_URL ?= http://$(HOST_PORT)
# The suite's defaults; CI passes the same values explicitly.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/storefront
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# In parallel (pytest-xdist), one process per core up to four; `PYTEST_ARGS=` runs it in one.
PYTEST_ARGS ?= -n auto --maxprocesses 4

.PHONY: run test install install-dev messages system-packages services check-python bench clean delivery-worker

check-python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11 or newer is needed"'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.dev-installed

# gettext for compilemessages; a TrueType CJK font to stamp Chinese licensee names;
# for the tests also Chromium, a CJK screen font and poppler's pdftotext.
RUN_PACKAGES := gettext fonts-wqy-zenhei
TEST_PACKAGES := $(RUN_PACKAGES) chromium chromium-driver fonts-noto-cjk poppler-utils
system-packages:
	@bash .ci/system-packages $(SYSTEM_PACKAGES)

messages: install
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES=gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

run: install messages
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(RUN_PACKAGES)"
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py seed_demo
	@echo "The shop is at http://$(HOST_PORT)/ (admin: make a user with '$(BIN)/python manage.py createsuperuser')"
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST_PORT)

services:
	@bash .ci/start-services

test: install-dev messages services
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(TEST_PACKAGES)"
	@# npm installs axe-core for the accessibility checks (Node's own packages may carry it already)
	@command -v npm >/dev/null || $(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES=npm
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# The delivery worker with the settings the README's "Workers and beat" gives and
# bench/README.md measured (prefork, one process per core plus one: 3 on 2 cores); needs REDIS_URL.
DELIVERY_WORKER_ARGS ?= -Q delivery --pool=prefork --concurrency=3 -n delivery@%h
delivery-worker: install messages
	@test -n "$$REDIS_URL" || { echo "set REDIS_URL (the broker) first"; exit 1; }
	$(BIN)/celery -A storefront worker $(DELIVERY_WORKER_ARGS)

bench: install-dev
	$(BIN)/python bench/catalogue_throughput.py

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .cache
