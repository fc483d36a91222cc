# Helpdesk — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run reset-demo screens dev worker backup restore check-deploy stress bench bench-django-helpdesk bench-mail test test-postgres test-sqlite test-scale lint format check venv clean-venv messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## make run: set everything up on the embedded default (SQLite) and serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	@scripts/run.sh

## make reset-demo: delete the embedded demo desk (var/helpdesk.sqlite3 and var/media, after asking;
## never a DATABASE_URL database); the next `make run` seeds a new one
reset-demo:
	@scripts/reset-demo.sh

## make screens: screenshots of the main screens at desktop (1366x900) and phone (390x844) size in
## docs/screens/, from a fresh demo desk served like `make run` (needs Debian's chromium)
screens: $(VENV)/.installed-dev
	$(BIN)/python scripts/screens.py

## make dev: Django's development server with debug on and the debug toolbar
dev: $(VENV)/.installed-dev
	@mkdir -p var
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo --if-empty
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

## make worker: a Celery worker with beat (needs REDIS_URL or CELERY_BROKER_URL)
worker: $(VENV)/.installed
	@test -n "$${REDIS_URL}$${CELERY_BROKER_URL}" || { echo "make worker: set REDIS_URL (or CELERY_BROKER_URL); without a broker jobs run in the web process."; exit 2; }
	$(BIN)/celery -A helpdesk worker --beat --loglevel INFO --concurrency 2 --schedule var/celerybeat-schedule

## make backup: the database and every stored file it refers to, consistently, with a manifest of
## checksums, into a new directory (BACKUP_DIR; default var/backups/<UTC time>). Uses the same
## settings as the app (DATABASE_URL, S3_*...); PostgreSQL needs pg_dump (postgresql-client).
BACKUP_DIR ?= var/backups/$(shell date -u +%Y%m%dT%H%M%SZ)
backup: $(VENV)/.installed
	$(BIN)/python manage.py backup --output $(BACKUP_DIR)

## make restore BACKUP=DIR: put a backup into the configured (new, empty) database and storage,
## after checking every checksum; then `manage.py migrate` if this code is newer than the backup.
restore: $(VENV)/.installed
	@test -n "$(BACKUP)" || { echo "make restore: say which backup, e.g. make restore BACKUP=var/backups/20260101T000000Z"; exit 2; }
	$(BIN)/python manage.py restore --input $(BACKUP)

## make test: the whole suite on PostgreSQL, then on SQLite
test: $(VENV)/.installed-dev
	@scripts/test.sh

test-postgres: $(VENV)/.installed-dev
	@HELPDESK_TEST_DATABASES=postgres scripts/test.sh

test-sqlite: $(VENV)/.installed-dev
	@HELPDESK_TEST_DATABASES=sqlite scripts/test.sh

## make test-scale: the app against a real streaming replica (pg_basebackup) and through a real
## PgBouncer in transaction mode, all started in a temporary directory and stopped at the end
## (README, Scaling out). Needs PostgreSQL's server binaries and pgbouncer; CI runs it after make test.
test-scale: $(VENV)/.installed-dev
	@scripts/test-scale.sh

## make lint: ruff (lint, format), djLint (template format, lint), mypy, migrations in step with models,
## Django's system checks. Settings in pyproject.toml; mypy keeps its cache in .mypy_cache/.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint --check templates
	$(BIN)/djlint --lint templates
	$(BIN)/mypy
	DJANGO_SETTINGS_MODULE=helpdesk.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=helpdesk.settings_test $(BIN)/python manage.py check

## make stress: the race tests at full size on PostgreSQL (50 x 20 simultaneous claims; 10 agents drain
## 1,000 tickets), then a 5-minute load test (locust, loopback only) of customers and agents
stress: $(VENV)/.installed-dev
	HELPDESK_STRESS_REPEATS=50 HELPDESK_STRESS_TICKETS=1000 HELPDESK_TEST_DATABASES=postgres HELPDESK_TEST_WORKERS=0 \
	scripts/test.sh tickets/tests/test_concurrency.py -v
	scripts/load.sh

## make bench: the performance benchmark (README, Performance) on PostgreSQL (1M tickets, generated once and then
## reused; 4 clients for 5 minutes); writes BENCHMARKS.md and docs/perf/. Needs PostgreSQL and Redis.
bench: $(VENV)/.installed-dev
	scripts/bench.sh

## make bench-django-helpdesk: Helpdesk and django-helpdesk 2.6.1 (from PyPI, in a virtualenv under var/) side by
## side on this machine: 1M tickets each (django-helpdesk's dh_bench filled by SQL; ours the helpdesk_bench of
## `make bench`), 2 gunicorn workers each, the paired requests at 1 and 4 clients; writes var/bench-dh/report.md.
## Needs PostgreSQL and Redis. HELPDESK_DH_BENCH_SECONDS (per phase, default 60), _CLIENTS, _WORKERS, _GENERATE=1.
bench-django-helpdesk: $(VENV)/.installed-dev
	scripts/bench_django_helpdesk.sh

## make bench-mail: inbound mail throughput — 1,000 generated messages (new tickets from 200 senders,
## replies, auto-replies, one poisoned) sent by SMTP to the listener, each stored and processed; on a
## scratch database: PostgreSQL helpdesk_mailbench (BENCH_MAIL_DATABASE to change), then SQLite in var/
BENCH_MAIL_DATABASE ?= postgres://postgres@127.0.0.1:5432/helpdesk_mailbench
bench-mail: $(VENV)/.installed
	createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_MAIL_DATABASE)) 2>/dev/null || true
	DATABASE_URL=$(BENCH_MAIL_DATABASE) DJANGO_LOG_LEVEL=CRITICAL $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_MAIL_DATABASE) DJANGO_LOG_LEVEL=CRITICAL $(BIN)/python manage.py bench_mail
	@mkdir -p var && rm -f var/mailbench.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/mailbench.sqlite3 DJANGO_LOG_LEVEL=CRITICAL $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=sqlite:///$(CURDIR)/var/mailbench.sqlite3 DJANGO_LOG_LEVEL=CRITICAL $(BIN)/python manage.py bench_mail

## make check-deploy: Django's deployment checklist against production settings (no warnings allowed)
check-deploy: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=helpdesk.settings DJANGO_DEBUG=0 DJANGO_HTTPS=1 \
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
	DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-help.example.com}" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## make messages: gather the strings to translate into locale/<lang>/LC_MESSAGES/django.po (Spanish
## by default; LANG_CODE=de for another) keeping every translation made, then compile the .mo files
## that are committed (so `make run` never needs gettext). Needs GNU gettext (apt-get install gettext).
LANG_CODE ?= es
messages: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=helpdesk.settings_test $(BIN)/python manage.py makemessages -l $(LANG_CODE) \
		--ignore=.venv --ignore=var --ignore=node_modules --ignore=loadtest --ignore='*/tests/*' \
		--ignore=docs --ignore=scripts --add-location=file
	DJANGO_SETTINGS_MODULE=helpdesk.settings_test $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint --reformat templates >/dev/null || $(BIN)/djlint --check templates  # exits 1 when it changed files
