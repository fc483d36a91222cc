#!/usr/bin/env bash
# The bounded load test of issue 7 (part of `make stress`): gunicorn on 127.0.0.1 over a PostgreSQL
# database of generated tickets, driven by locust (headless) with 3 customers to 1 agent for
# HELPDESK_LOAD_SECONDS (default 300). Fails on any server error, an error rate of 0.1 % or more,
# or customers' p95 on the ticket list more than twice the agents' (a slow permission filter).
# Then the live-stream soak of issue 13 on the same server (loadtest/live_soak.py): the mix for
# HELPDESK_LIVE_SOAK_SECONDS (default 120) without and then with HELPDESK_LIVE_SOAK_STREAMS (200)
# open streams. HELPDESK_LOAD_PARTS picks the parts (default "load live").
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${HELPDESK_LOAD_DATABASE:-postgres://postgres@127.0.0.1:5432/helpdesk_load}
PORT=${HELPDESK_LOAD_PORT:-8765}
SECONDS_TO_RUN=${HELPDESK_LOAD_SECONDS:-300}
USERS=${HELPDESK_LOAD_USERS:-24}
PARTS=${HELPDESK_LOAD_PARTS:-load live}
OUT=var/load
mkdir -p "$OUT"
export DATABASE_URL="$DB" DJANGO_SECRET_KEY=load-test-secret-key-load-test-secret-key-0123456789 DJANGO_HTTPS=0 \
  DJANGO_ALLOWED_HOSTS=127.0.0.1 API_THROTTLE_USER=1000000/minute API_THROTTLE_TOKEN=1000/minute \
  HELPDESK_SLOW_REQUEST_MS=5000 HELPDESK_SLOW_REQUEST_QUERIES=100 DJANGO_LOG_LEVEL=WARNING
createdb -h 127.0.0.1 -U postgres "${DB##*/}" 2>/dev/null || true
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py collectstatic --no-input -v0
if [ "$(.venv/bin/python manage.py shell -v 0 -c 'from tickets.models import Ticket; print(Ticket.objects.count())')" -lt 20000 ]; then
  .venv/bin/python manage.py generate_tickets --tickets 20000 --password load-pass --seed 7
fi
.venv/bin/python manage.py shell -v 0 -c '
import json
from django.contrib.auth.hashers import make_password
from rest_framework.authtoken.models import Token
from accounts.models import User
from tickets import permissions
def people(qs):
    out = []
    for user in qs:
        user.password = make_password("load-pass"); user.save(update_fields=["password"])
        token, _ = Token.objects.get_or_create(user=user)
        ids = list(permissions.visible_tickets(user).order_by("-updated_at").values_list("pk", flat=True)[:20])
        out.append({"email": user.email, "token": token.key, "tickets": ids})
    return out
customers = User.objects.filter(role="customer", is_active=True, requested_tickets__isnull=False).distinct().order_by("pk")[:60]
agents = User.objects.filter(role="agent", is_active=True).order_by("pk")[:12]
json.dump({"password": "load-pass", "customers": people(customers), "agents": people(agents)}, open("var/load/accounts.json", "w"))
'
.venv/bin/gunicorn helpdesk.asgi:application -c python:helpdesk.gunicorn -k helpdesk.workers.UvicornWorker --bind "127.0.0.1:$PORT" --workers 2 --keep-alive 75 \
  --log-level warning > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 30); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 1; done
status=0
if [[ " $PARTS " == *" load "* ]]; then
.venv/bin/locust -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$PORT" -u "$USERS" -r 4 \
  -t "${SECONDS_TO_RUN}s" --csv "$OUT/run" --only-summary --exit-code-on-error 0 > "$OUT/locust.log" 2>&1 || true
.venv/bin/python - "$OUT/run_stats.csv" "$OUT/run_failures.csv" <<'PY' || status=1
import csv, sys
rows = {r["Name"]: r for r in csv.DictReader(open(sys.argv[1]))}
failures = list(csv.DictReader(open(sys.argv[2])))
total = rows["Aggregated"]
requests, failed = int(total["Request Count"]), int(total["Failure Count"])
server_errors = sum(int(f["Occurrences"]) for f in failures if "50" in f["Error"] and "HTTPError" in f["Error"])
print(f"{'request':32} {'count':>7} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'req/s':>6}")
for name, r in sorted(rows.items()):
    print(f"{name:32} {r['Request Count']:>7} {r['Failure Count']:>5} {r['50%']:>6} {r['95%']:>6} {r['99%']:>6} {float(r['Requests/s']):6.1f}")
for f in failures:
    print("failure:", f["Method"], f["Name"], f["Error"][:200], f["Occurrences"])
customer = float(rows["api ticket list [customers]"]["95%"])
agent = float(rows["api ticket list [agents]"]["95%"])
rate = failed / max(requests, 1)
print(f"\nrequests {requests}, failed {failed} ({rate:.3%}), server errors {server_errors}; "
      f"ticket list p95 customers {customer:.0f} ms vs agents {agent:.0f} ms")
ok = server_errors == 0 and rate < 0.001 and customer <= 2 * max(agent, 1) and agent <= 2 * max(customer, 1)
print("load test:", "passed" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
fi
if [[ " $PARTS " == *" live "* ]]; then
  HELPDESK_LOAD_USERS="$USERS" .venv/bin/python loadtest/live_soak.py "http://127.0.0.1:$PORT" "$SERVER" "$DB" || status=1
fi
exit $status
