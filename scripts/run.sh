#!/usr/bin/env bash
# `make run`: migrate, seed demo data once, and serve with gunicorn + whitenoise on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
# The secret key: DJANGO_SECRET_KEY if set, else var/secret_key, which the first manage.py command
# below creates once and every later run (and the web server) reads.
# Plain http on the loopback address: this turns off the HTTPS-only cookies and redirect that a
# real deployment keeps (DJANGO_HTTPS defaults to on whenever debug is off).
export DJANGO_HTTPS="${DJANGO_HTTPS:-0}"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}"
PORT="${PORT:-8000}"

.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py collectstatic --no-input --verbosity 0
.venv/bin/python manage.py seed_demo --if-empty
echo
echo "Helpdesk is running at http://127.0.0.1:${PORT}/  (Ctrl-C to stop)"
echo
# ASGI under uvicorn workers: live-update streams wait without holding a thread.
exec .venv/bin/gunicorn helpdesk.asgi:application -k uvicorn_worker.UvicornWorker --bind "127.0.0.1:${PORT}" --workers "${WEB_CONCURRENCY:-2}" --keep-alive 75 \
  --access-logfile - --forwarded-allow-ips 127.0.0.1
