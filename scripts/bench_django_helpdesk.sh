#!/usr/bin/env bash
# `make bench-django-helpdesk`: Helpdesk and django-helpdesk side by side (issue 19), same machine,
# same harness, same worker count, a million tickets each (README, Performance).
#
#  1. django-helpdesk 2.6.1 from PyPI (the pins of tickets/tests/importers/conftest.py, plus gunicorn
#     and whitenoise) in a virtualenv under var/, kept between runs;
#  2. its site, loadtest/django_helpdesk/dh_site (its URLs and login view at the root, debug off);
#  3. its database dh_bench on the local PostgreSQL, migrated and filled by bulk SQL to
#     HELPDESK_DH_BENCH_TICKETS tickets (loadtest/django_helpdesk/fill.py), reused once filled;
#  4. ours: the helpdesk_bench database of `make bench` (HELPDESK_BENCH_DATABASE). With fewer tickets
#     than asked, this stops and says how to make it — or makes it with HELPDESK_DH_BENCH_GENERATE=1
#     (what scripts/bench.sh does: generate_tickets, VACUUM ANALYZE), then loadtest/prepare.py;
#  5. one desk at a time, served by gunicorn on 127.0.0.1 with HELPDESK_DH_BENCH_WORKERS workers
#     (default 2): django-helpdesk with sync workers (its WSGI app; gunicorn's default class), ours
#     with its production worker (uvicorn, as `make run` and `make bench`; HELPDESK_DH_BENCH_OURS_SERVER=wsgi
#     serves ours with sync workers too) and a Celery worker; the bench customer and staff member
#     sign in once, every request is warmed up, then each paired request runs alone for
#     HELPDESK_DH_BENCH_SECONDS (default 60) at each of HELPDESK_DH_BENCH_CLIENTS closed-loop
#     clients (default "1 4"), the web workers' CPU read from /proc before and after each phase;
#  6. var/bench-dh/report.md (loadtest/django_helpdesk/report.py).
# Needs PostgreSQL and Redis running. Heavy one-off steps (install, fill) run under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=.venv/bin/python
DH_VERSION=2.6.1
DH_PACKAGES=("django-helpdesk==$DH_VERSION" "Django==5.2.19" "psycopg[binary]==3.3.9" "gunicorn==23.0.0" "whitenoise==6.12.0")
DH_VENV=var/django-helpdesk-bench-$DH_VERSION-py$($PY -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
OUT=${HELPDESK_DH_BENCH_OUT:-var/bench-dh}
SECONDS_PER_PHASE=${HELPDESK_DH_BENCH_SECONDS:-60}
CLIENT_COUNTS=${HELPDESK_DH_BENCH_CLIENTS:-1 4}
WORKERS=${HELPDESK_DH_BENCH_WORKERS:-2}
TICKETS=${HELPDESK_DH_BENCH_TICKETS:-1000000}
REQUESTS=${HELPDESK_DH_BENCH_REQUESTS:-login customer_ticket agent_ticket create_form create_api}
DESKS=${HELPDESK_DH_BENCH_DESKS:-django-helpdesk ours}
WARMUP=${HELPDESK_DH_BENCH_WARMUP:-15}
DH_DB=${HELPDESK_DH_BENCH_DH_DATABASE:-postgres://postgres@127.0.0.1:5432/dh_bench}
OURS_DB=${HELPDESK_BENCH_DATABASE:-postgres://postgres@127.0.0.1:5432/helpdesk_bench}
OURS_SERVER=${HELPDESK_DH_BENCH_OURS_SERVER:-uvicorn}
DH_PORT=${HELPDESK_DH_BENCH_DH_PORT:-8767}
OURS_PORT=${HELPDESK_DH_BENCH_PORT:-8766}
NICE="nice -n 10"
mkdir -p "$OUT"
OUT_ABS=$(cd "$OUT" && pwd)
began=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - began ))"; }

# django-helpdesk's commands run from its site's directory with only that on the path: the name
# "helpdesk" there is django-helpdesk's package, not ours.
dh() {
  (cd loadtest/django_helpdesk && env -u PYTHONPATH DJANGO_SETTINGS_MODULE=dh_site.settings DH_BENCH_DATABASE="$DH_DB" \
    DH_BENCH_STATIC_ROOT="$OUT_ABS/static" DH_BENCH_MEDIA_ROOT="$OUT_ABS/media" "$@")
}

wants() { [[ " $DESKS " == *" $1 "* ]]; }

dh_have=0
if wants django-helpdesk; then
step "django-helpdesk $DH_VERSION virtualenv ($DH_VENV)"
if [ ! -f "$DH_VENV/.ready" ]; then
  rm -rf "$DH_VENV"
  $PY -m venv "$DH_VENV"
  $NICE "$DH_VENV/bin/pip" install --quiet --disable-pip-version-check "${DH_PACKAGES[@]}"
  printf '%s\n' "${DH_PACKAGES[@]}" > "$DH_VENV/.ready"
fi
DH_PY=$ROOT/$DH_VENV/bin/python

step "django-helpdesk database ${DH_DB##*/}"
createdb -h 127.0.0.1 -U postgres "${DH_DB##*/}" 2>/dev/null || true
dh $NICE "$DH_PY" -m django migrate --no-input -v0
dh $NICE "$DH_PY" -m django collectstatic --no-input -v0
dh /usr/bin/time -f "fill: %e s wall" $NICE "$DH_PY" fill.py --tickets "$TICKETS" --out "$OUT_ABS/dh_accounts.json"
dh_have=$(psql "$DH_DB" -Atc "SELECT count(*) FROM helpdesk_ticket")
fi

export DATABASE_URL="$OURS_DB" DJANGO_HTTPS=0 DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_LOG_LEVEL=WARNING \
  REDIS_URL=${HELPDESK_DH_BENCH_REDIS:-redis://127.0.0.1:6379/6} \
  API_THROTTLE_USER=100000000/minute API_THROTTLE_TOKEN=100000000/minute HELPDESK_SLOW_REQUEST_MS=1000
have=0
if wants ours; then
step "our database ${OURS_DB##*/}"
have=$(psql "$OURS_DB" -Atc "SELECT count(*) FROM tickets_ticket" 2>/dev/null || echo 0)
if [ "$have" -lt "$TICKETS" ]; then
  if [ "${HELPDESK_DH_BENCH_GENERATE:-0}" != 1 ]; then
    echo "Our benchmark database ${OURS_DB##*/} has $have tickets, fewer than $TICKETS. Make it with \`make bench\`"
    echo "(scripts/bench.sh generates it first), or run this again with HELPDESK_DH_BENCH_GENERATE=1, which does"
    echo "  createdb ${OURS_DB##*/}; manage.py migrate; manage.py generate_tickets --tickets $((TICKETS - have)); VACUUM ANALYZE"
    echo "(about 6 minutes on a quiet machine at 1M tickets)."
    exit 2
  fi
  createdb -h 127.0.0.1 -U postgres "${OURS_DB##*/}" 2>/dev/null || true
  $NICE $PY manage.py migrate --no-input -v0
  /usr/bin/time -f "generate: %e s wall" $NICE $PY manage.py generate_tickets --tickets $((TICKETS - have)) --no-progress
  psql "$OURS_DB" -q -c "VACUUM ANALYZE"
  have=$(psql "$OURS_DB" -Atc "SELECT count(*) FROM tickets_ticket")
fi
$NICE $PY manage.py migrate --no-input -v0
$NICE $PY manage.py collectstatic --no-input -v0
mkdir -p "$OUT/ours"
HELPDESK_BENCH_OUT=$OUT/ours $NICE $PY loadtest/prepare.py
# The agent ticket page's tickets: 4 messages each (the conversation django-helpdesk's gets: 4
# follow-ups), among the latest 20,000.
psql "$OURS_DB" -Atc "SELECT coalesce(json_agg(id), '[]') FROM (SELECT t.id FROM tickets_ticket t
  WHERE t.id > (SELECT max(id) - 20000 FROM tickets_ticket)
    AND (SELECT count(*) FROM tickets_message m WHERE m.ticket_id = t.id) = 4 ORDER BY t.id LIMIT 50) s" \
  > "$OUT/ours/short_tickets.json"
# The customer ticket page's: the bench customer's 50 latest, less those the bench's own creates
# made (one message each), as on django-helpdesk's side (fill.py).
customer=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["customer"]["email"])' "$OUT/ours/accounts.json")
psql "$OURS_DB" -v email="$customer" -At > "$OUT/ours/customer_tickets.json" <<'SQL'
SELECT coalesce(json_agg(id), '[]') FROM (SELECT t.id FROM tickets_ticket t JOIN accounts_user u ON u.id = t.requester_id
  WHERE u.email = :'email' AND t.subject NOT LIKE 'Bench:%' ORDER BY t.updated_at DESC, t.id DESC LIMIT 50) s
SQL
fi

# CPU ticks (user + system, /proc/<pid>/stat) used so far by every process under a pid: the
# gunicorn master and its workers, or the Celery worker and its pool. The fields are counted after
# the command name, which may hold spaces.
descendants() { local pid; for pid in $(pgrep -P "$1"); do echo "$pid"; descendants "$pid"; done; }
tree_cpu() {
  local pid
  for pid in "$1" $(descendants "$1"); do cat "/proc/$pid/stat" 2>/dev/null || true; done \
    | sed 's/^.*) //' | awk '{t += $12 + $13} END {print t + 0}'
}
CLK_TCK=$(getconf CLK_TCK)
SERVER= CELERY=
stop_servers() {
  for pid in $SERVER $CELERY; do kill "$pid" 2>/dev/null || true; done
  for pid in $SERVER $CELERY; do wait "$pid" 2>/dev/null || true; done
  SERVER= CELERY=
}
trap stop_servers EXIT
: > "$OUT/phases.jsonl"
rm -rf "$OUT/raw"
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

free_port() {
  if curl -s -o /dev/null "http://127.0.0.1:$1/"; then
    echo "Port $1 already answers: another server would be measured. Stop it, or set the port's variable."
    exit 1
  fi
}

measure() {  # desk port
  local desk=$1 port=$2 host="http://127.0.0.1:$2" login_path
  login_path=$([ "$desk" = ours ] && echo /accounts/login/ || echo /login/)
  for _ in $(seq 1 90); do curl -fsS -o /dev/null "$host$login_path" 2>/dev/null && break; sleep 1; done
  kill -0 "$SERVER" 2>/dev/null || { echo "$desk: the server did not start:"; tail -5 "$OUT"/server-*.log; exit 1; }
  $PY loadtest/django_helpdesk/desks.py signin "$desk" "$host" "$OUT"
  run_locust() {  # request clients seconds phase
    DH_BENCH_TARGET=$desk DH_BENCH_REQUEST=$1 DH_BENCH_PHASE=$4 DH_BENCH_OUT=$OUT \
      .venv/bin/locust -f loadtest/django_helpdesk/locustfile.py --headless --host "$host" -u "$2" -r "$2" -t "$3s" \
      --only-summary --exit-code-on-error 0 > "$OUT/locust-$4.log" 2>&1
  }
  echo "warm-up: every request, 2 clients, ${WARMUP}s"
  run_locust all 2 "$WARMUP" "$desk-warmup"
  for request in $REQUESTS; do
    for clients in $CLIENT_COUNTS; do
      local phase="$desk-$request-$clients" cpu0 cpu1 bg0=0 bg1=0
      cpu0=$(tree_cpu "$SERVER"); [ -n "$CELERY" ] && bg0=$(tree_cpu "$CELERY")
      run_locust "$request" "$clients" "$SECONDS_PER_PHASE" "$phase"
      cpu1=$(tree_cpu "$SERVER"); [ -n "$CELERY" ] && bg1=$(tree_cpu "$CELERY")
      local bg=""
      [ -n "$CELERY" ] && bg=", \"bg_start\": $bg0, \"bg_end\": $bg1"
      echo "{\"name\": \"$phase\", \"desk\": \"$desk\", \"request\": \"$request\", \"clients\": $clients, \"seconds\": $SECONDS_PER_PHASE, \"cpu_start\": $cpu0, \"cpu_end\": $cpu1, \"clk_tck\": $CLK_TCK$bg}" >> "$OUT/phases.jsonl"
      printf '%-45s %s\n' "$phase" "$(grep -E '^ *(POST|GET) ' "$OUT/locust-$phase.log" | head -1 | tr -s ' ' | cut -c1-150)"
    done
  done
}

for desk in $DESKS; do
  if [ "$desk" = django-helpdesk ]; then
    step "django-helpdesk: serving on 127.0.0.1:$DH_PORT ($WORKERS sync workers)"
    free_port "$DH_PORT"
    # exec: the pid is gunicorn's master itself (stopped at the end, its workers' CPU read below it).
    (cd loadtest/django_helpdesk && exec env -u PYTHONPATH DJANGO_SETTINGS_MODULE=dh_site.settings DH_BENCH_DATABASE="$DH_DB" \
      DH_BENCH_STATIC_ROOT="$OUT_ABS/static" DH_BENCH_MEDIA_ROOT="$OUT_ABS/media" "$ROOT/$DH_VENV/bin/gunicorn" \
      dh_site.wsgi:application --workers "$WORKERS" --worker-class sync --bind "127.0.0.1:$DH_PORT" --log-level warning) \
      > "$OUT/server-dh.log" 2>&1 &
    SERVER=$!
    measure django-helpdesk "$DH_PORT"
  else
    step "ours: serving on 127.0.0.1:$OURS_PORT ($WORKERS $OURS_SERVER workers)"
    free_port "$OURS_PORT"
    redis-cli -u "$REDIS_URL" flushdb > /dev/null
    if [ "$OURS_SERVER" = wsgi ]; then
      .venv/bin/gunicorn helpdesk.wsgi:application -c python:helpdesk.gunicorn --worker-class sync \
        --bind "127.0.0.1:$OURS_PORT" --workers "$WORKERS" --log-level warning > "$OUT/server-ours.log" 2>&1 &
    else
      .venv/bin/gunicorn helpdesk.asgi:application -c python:helpdesk.gunicorn -k helpdesk.workers.UvicornWorker \
        --bind "127.0.0.1:$OURS_PORT" --workers "$WORKERS" --keep-alive 75 --log-level warning > "$OUT/server-ours.log" 2>&1 &
    fi
    SERVER=$!
    .venv/bin/celery -A helpdesk worker --concurrency 1 --loglevel WARNING > "$OUT/celery-ours.log" 2>&1 &
    CELERY=$!
    measure ours "$OURS_PORT"
  fi
  stop_servers
done

step "report"
cat > "$OUT/meta.json" <<EOF
{"finished": "$(date -u +%Y-%m-%dT%H:%MZ)", "machine": "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")",
 "loadavg_start": "$LOADAVG_START", "loadavg_end": "$(cut -d' ' -f1-3 /proc/loadavg)", "seconds": $SECONDS_PER_PHASE,
 "workers": $WORKERS, "ours_worker_class": "$([ "$OURS_SERVER" = wsgi ] && echo "sync (WSGI)" || echo "uvicorn (ASGI)")",
 "dh_worker_class": "sync (WSGI)", "dh_version": "$DH_VERSION",
 "ours_database": "${OURS_DB##*/}", "ours_tickets": $have, "dh_database": "${DH_DB##*/}", "dh_tickets": $dh_have}
EOF
(cd loadtest/django_helpdesk && "$ROOT/$PY" report.py --out "$OUT_ABS") > /dev/null
echo "report: $OUT/report.md"
cat "$OUT/report.md"
step "done"
