#!/usr/bin/env bash
# `make bench`: the issue-6 benchmark. On PostgreSQL, generates (once; reused after) a desk of
# HELPDESK_BENCH_TICKETS tickets (default 1,000,000), serves it with gunicorn on 127.0.0.1 the way
# `make run` does (uvicorn workers: 4, two per core, HELPDESK_BENCH_WORKERS; Redis as the cache), drives it with HELPDESK_BENCH_CLIENTS
# closed-loop clients (default 4) for HELPDESK_BENCH_SECONDS (default 300) over the measured requests
# (a Celery worker handles notifications beside it), and
# writes BENCHMARKS.md (figures) and docs/perf/ (query plans). Needs PostgreSQL and Redis running.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${HELPDESK_BENCH_DATABASE:-postgres://postgres@127.0.0.1:5432/helpdesk_bench}
TICKETS=${HELPDESK_BENCH_TICKETS:-1000000}
CLIENTS=${HELPDESK_BENCH_CLIENTS:-4}
SECONDS_TO_RUN=${HELPDESK_BENCH_SECONDS:-300}
PORT=${HELPDESK_BENCH_PORT:-8766}
WORKERS=${HELPDESK_BENCH_WORKERS:-4}
export HELPDESK_BENCH_OUT=${HELPDESK_BENCH_OUT:-var/bench}
OUT=$HELPDESK_BENCH_OUT
mkdir -p "$OUT"
PY=.venv/bin/python
export DATABASE_URL="$DB" DJANGO_HTTPS=0 DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_LOG_LEVEL=WARNING \
  REDIS_URL=${HELPDESK_BENCH_REDIS:-redis://127.0.0.1:6379/5} HELPDESK_SERVER_TIMING=everyone \
  API_THROTTLE_USER=100000000/minute API_THROTTLE_TOKEN=100000000/minute \
  HELPDESK_SLOW_REQUEST_MS=1000 HELPDESK_SLOW_REQUEST_QUERIES=13
began=$(date +%s)

step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - began ))"; }

step "database ${DB##*/}"
createdb -h 127.0.0.1 -U postgres "${DB##*/}" 2>/dev/null || true
$PY manage.py migrate --no-input -v0
$PY manage.py collectstatic --no-input -v0
rm -f "$OUT/generate.log"  # the report's "generating the data" line is this run's, or none
have=$($PY manage.py shell -v 0 -c 'from tickets.models import Ticket; print(Ticket.objects.count())')
if [ "$have" -lt "$TICKETS" ]; then
  step "generating $((TICKETS - have)) tickets (have $have)"
  /usr/bin/time -v $PY manage.py generate_tickets --tickets $((TICKETS - have)) 2> >(tee "$OUT/generate.log" >&2)
  psql "$DB" -q -c "VACUUM ANALYZE"
fi
step "people and long tickets"
$PY loadtest/prepare.py
psql "$DB" -q -c "VACUUM ANALYZE tickets_ticket" -c "VACUUM ANALYZE tickets_message" -c "VACUUM ANALYZE tickets_ticketevent"

step "query plans (docs/perf)"
# On a small desk a sequential scan is the right plan; the no-seq-scan check is for real sizes.
CHECK=$([ "$TICKETS" -ge 100000 ] && echo --check || true)
$PY manage.py explain_hot_queries --out docs/perf $CHECK

step "serving on 127.0.0.1:$PORT ($WORKERS workers)"
redis-cli -u "$REDIS_URL" flushdb >/dev/null
.venv/bin/gunicorn helpdesk.asgi:application -c python:helpdesk.gunicorn -k helpdesk.workers.UvicornWorker --bind "127.0.0.1:$PORT" \
  --workers "$WORKERS" --keep-alive 75 --log-level warning > "$OUT/server.log" 2>&1 &
SERVER=$!
# Notifications and e-mail go through Celery on Redis, as in production: one worker beside the web.
.venv/bin/celery -A helpdesk worker --concurrency 1 --loglevel WARNING > "$OUT/worker.log" 2>&1 &
WORKER=$!
SAMPLER=
trap 'kill $SERVER $WORKER $SAMPLER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 1; done
# Resident memory of each worker, every second, while the load runs.
( while kill -0 $SERVER 2>/dev/null; do ps --ppid $SERVER -o pid=,rss= ; sleep 1; done ) > "$OUT/rss.txt" &
SAMPLER=$!

# CPU time (user + system, in clock ticks) the web workers have used so far: read before and after
# the load, it gives the workers' CPU milliseconds per request, the cost that decides throughput.
worker_cpu() { awk '{ticks += $14 + $15} END {print ticks + 0}' $(pgrep -P $SERVER | sed 's|.*|/proc/&/stat|'); }
# Where the machine's CPU goes: every core's busy ticks (/proc/stat), and PostgreSQL's processes'.
machine_cpu() {
  echo "$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat)" \
    "$(awk '{ticks += $14 + $15} END {print ticks + 0}' $(pgrep -u postgres | sed 's|.*|/proc/&/stat|') 2>/dev/null)"
}
step "load: $CLIENTS clients for ${SECONDS_TO_RUN}s"
# The machine's load average as the load starts and ends (the report prints it: a shared machine skews the figures).
echo "start $(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/loadavg.txt"
echo "start $(worker_cpu) $(getconf CLK_TCK)" > "$OUT/cpu.txt"
echo "start $(machine_cpu)" > "$OUT/machine.txt"
.venv/bin/locust -f loadtest/bench.py --headless --host "http://127.0.0.1:$PORT" -u "$CLIENTS" -r "$CLIENTS" \
  -t "${SECONDS_TO_RUN}s" --only-summary --exit-code-on-error 0 > "$OUT/locust.log" 2>&1
echo "end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/loadavg.txt"
echo "end $(worker_cpu) $(getconf CLK_TCK)" >> "$OUT/cpu.txt"
echo "end $(machine_cpu)" >> "$OUT/machine.txt"
kill $SAMPLER 2>/dev/null || true

step "report"
$PY scripts/bench_report.py --seconds "$SECONDS_TO_RUN" --clients "$CLIENTS" --workers "$WORKERS" --out "${HELPDESK_BENCH_REPORT:-BENCHMARKS.md}"
step "done"
