#!/usr/bin/env bash
# `make run`: migrate and collect static files when needed, seed demo data once, and serve with
# gunicorn + whitenoise on 127.0.0.1:8000 (PORT for another port).
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

# Links in emails (ticket notifications) point at the address served here unless set otherwise.
export HELPDESK_SITE_URL="${HELPDESK_SITE_URL:-http://127.0.0.1:${PORT}}"

# One process: migrate only when migrations are unapplied, collectstatic only when the static
# sources changed since the last run, the demo desk only when there are no users. A restart with
# nothing changed takes a few seconds.
.venv/bin/python manage.py prepare_run
# The email channel's SMTP listener (README, Email): mail to support@localhost becomes tickets.
# It runs beside the web server and stops with it (the trap), whatever ends the script. It and the
# webhook sender start at a lower CPU priority (nice): while all of them load Django at once, the
# web workers come first, so the site answers sooner after a restart.
SMTP_PORT="${HELPDESK_SMTP_PORT:-2525}"
nice -n 10 .venv/bin/python manage.py receive_mail --smtp "127.0.0.1:${SMTP_PORT}" &
SMTP_PID=$!
# The outgoing webhooks' sender (README, Webhooks): sends what admins' endpoints are due.
nice -n 10 .venv/bin/python manage.py send_webhooks &
WEBHOOKS_PID=$!
trap 'kill "$SMTP_PID" "$WEBHOOKS_PID" 2>/dev/null || true' EXIT
echo
echo "Helpdesk is running at http://127.0.0.1:${PORT}/  (Ctrl-C to stop)"
echo "Mail to support@localhost by SMTP on 127.0.0.1:${SMTP_PORT} becomes tickets."
echo
# ASGI under uvicorn workers: live-update streams wait without holding a thread. Not exec'd: the
# trap above must outlive it to stop the mail listener. helpdesk.gunicorn: the workers share their
# metrics (/metrics). The access log is the app's own (helpdesk.access: request id, user, timing).
.venv/bin/gunicorn helpdesk.asgi:application -c python:helpdesk.gunicorn -k helpdesk.workers.UvicornWorker \
  --bind "127.0.0.1:${PORT}" --workers "${WEB_CONCURRENCY:-2}" --keep-alive 75 --forwarded-allow-ips 127.0.0.1
