"""Fill the django-helpdesk bench database (dh_bench) with a desk shaped like ours, by bulk SQL.

    DH_BENCH_DATABASE=postgres://... python fill.py --tickets 1000000 --out var/bench-dh/dh_accounts.json

Runs in the django-helpdesk virtualenv, from loadtest/django_helpdesk/ (``dh_site.settings``),
after ``migrate``. When the database already holds ``--tickets`` tickets it fills nothing and only
(re)writes the accounts file; otherwise it empties django-helpdesk's tables and fills them anew:

- 20 queues (made through django-helpdesk's model, so their own save logic runs), open to public
  submission;
- 200 staff (one superuser) and 100,000 customers with a login, each with django-helpdesk's user
  settings row (which its post_save signal makes for every user); one known password;
- the tickets: each a customer's (``submitter_email``), skewed so a few customers have thousands of
  tickets and most a handful, as on our generated desk; in every status (15% open, 2% reopened,
  20% resolved, 60% closed, 3% duplicate), five priorities, 90% assigned to a staff member,
  created over the three years before now;
- 2 to 6 follow-ups per ticket (4 on average): the opening one, then staff replies and customer
  replies in turn, one in four staff entries an internal note (``public = false``); a solved
  ticket's last follow-up is the staff member's resolution with ``new_status``;
- ticket changes: the status change of each solved ticket's resolution, and an owner change on
  the first staff follow-up of three tickets in ten.

Everything is ``INSERT ... SELECT generate_series`` with values derived from the ids (hashint4),
so two fills make the same desk. Then VACUUM ANALYZE. Prints what it made and how long it took.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dh_site.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - benchmark accounts on a loopback server
STAFF = 200
CUSTOMERS = 100_000
QUEUES = 20
CUSTOMER_ID0 = 1000  # customer n (1-based) is user CUSTOMER_ID0 + n; staff are users 1..STAFF
BATCH = 100_000  # tickets per INSERT (and their follow-ups)
QUEUE_NAMES = [
    "Billing",
    "Technical Support",
    "Accounts",
    "Integrations",
    "Mobile App",
    "Orders",
    "Shipping",
    "Returns",
    "Security",
    "Onboarding",
    "Data Export",
    "Reporting",
    "API",
    "Enterprise",
    "Partners",
    "Payments",
    "Compliance",
    "Hardware",
    "Network",
    "General",
]
SUBJECTS = [
    "Refund for order {n}",
    "Cannot sign in after the password reset",
    "Export of orders fails at row {n}",
    "Invoice total is wrong",
    "Salesforce sync stopped",
    "Two-factor codes never arrive",
    "Charged twice this month",
    "Shipping label not printing",
    "API returns 500 on /orders",
    "Please cancel my subscription",
    "Mobile app crashes on start",
    "Report shows the wrong currency",
]
CUSTOMER_TEXT = (
    "Hello, since this morning the nightly export of our orders stops with an error and the file "
    "we get is empty. We did not change anything on our side. Could you please look into it? "
    "Order numbers and a screenshot of the error are below. Thanks, "
)
STAFF_TEXT = (
    "Thanks for the details. I checked the logs on our side: the export stops at the same row "
    "each time because of a malformed address in one order. I have corrected it; could you run "
    "the export again and tell us whether it completes? "
)
NOTE_TEXT = "Internal: same fault as last week's batch; the vendor fix is due Friday. Keep an eye on it. "


def _sql_array(items: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def _usersettings_columns() -> tuple[str, str]:
    """django-helpdesk's user settings row for a new user, as its post_save signal would make it."""
    model = apps.get_model("helpdesk", "UserSettings")
    blank = model()
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name == "user":
            continue
        names.append(field.column)
        values.append(field.get_db_prep_value(getattr(blank, field.attname), connection))
    literals = [connection.ops.compose_sql("%s", [value]) for value in values]
    return ", ".join(names), ", ".join(literals)


def fill(tickets: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    began = time.monotonic()
    queue_model = apps.get_model("helpdesk", "Queue")
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        cursor.execute(
            "TRUNCATE helpdesk_ticketchange, helpdesk_followupattachment, helpdesk_followup, helpdesk_ticketcc, "
            "helpdesk_ticketcustomfieldvalue, helpdesk_ticketdependency, helpdesk_checklist, helpdesk_ticket, "
            "helpdesk_usersettings, helpdesk_queue, django_session, auth_user RESTART IDENTITY CASCADE"
        )
    for i, title in enumerate(QUEUE_NAMES[:QUEUES], start=1):
        queue_model.objects.create(
            title=title,
            slug=title.lower().replace(" ", "-"),
            email_address=f"queue{i}@support.example",
            allow_public_submission=True,
        )
    password = make_password(PASSWORD)
    columns, values = _usersettings_columns()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) "
            "SELECT n, %s, n = 1, 'agent' || n, 'Agent', 'Number ' || n, 'agent' || n || '@support.example', true, "
            "true, now() - interval '3 years' FROM generate_series(1, %s) n",
            [password, STAFF],
        )
        cursor.execute(
            "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) "
            "SELECT %s + n, %s, false, 'customer' || n, 'Customer', 'Number ' || n, "
            "'customer' || n || '@customer.example', false, true, now() - interval '3 years' "
            "FROM generate_series(1, %s) n",
            [CUSTOMER_ID0, password, CUSTOMERS],
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('auth_user', 'id'), (SELECT max(id) FROM auth_user))")
        cursor.execute(
            f"INSERT INTO helpdesk_usersettings (user_id, {columns}) SELECT id, {values} FROM auth_user"  # noqa: S608 - model defaults, quoted by mogrify
        )
        cursor.execute("SELECT min(id), max(id) FROM helpdesk_queue")
        first_queue, last_queue = cursor.fetchone()
    timings["queues and people"] = time.monotonic() - began

    # Per ticket t: h1..h4 are independent hashes of its id in [0, 1); the customer is skewed
    # (h1 squared: customer 1 has ~3,000 tickets, the median customer a handful).
    started = time.monotonic()
    subjects = _sql_array(SUBJECTS)
    with connection.cursor() as cursor:
        for start in range(1, tickets + 1, BATCH):
            end = min(start + BATCH - 1, tickets)
            cursor.execute(
                f"""
                INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status, on_hold,
                    description, resolution, priority, assigned_to_id, queue_id, secret_key)
                SELECT t.id,
                    replace(({subjects})[1 + (t.h3 * 12)::int %% 12], '{{n}}', (40000 + t.id)::text),
                    t.created, t.created + (t.h2 * interval '10 days'),
                    'customer' || t.customer || '@customer.example',
                    t.status, t.status = 1 AND t.h4 < 0.05,
                    %(customer_text)s || 'Order ' || (40000 + t.id) || '.',
                    CASE WHEN t.status IN (3, 4) THEN 'Fixed; see the last reply.' END,
                    1 + (t.h4 * 5)::int %% 5,
                    CASE WHEN t.h2 < 0.9 THEN 1 + (t.h3 * %(staff)s)::int %% %(staff)s END,
                    %(first_queue)s + (t.h2 * 10000)::int %% %(queues)s,
                    md5(t.id::text || 'secret')::uuid::text
                FROM (
                    SELECT id, h1, h2, h3, h4,
                        1 + floor(h1 * h1 * %(customers)s)::int AS customer,
                        now() - interval '3 years' + (id::float / %(tickets)s) * interval '1095 days' AS created,
                        CASE WHEN h2 < 0.15 THEN 1 WHEN h2 < 0.17 THEN 2 WHEN h2 < 0.37 THEN 3
                             WHEN h2 < 0.97 THEN 4 ELSE 5 END AS status
                    FROM (
                        SELECT n AS id,
                            (hashint4(n) & 2147483647)::float / 2147483648 AS h1,
                            (hashint4(n + 7919) & 2147483647)::float / 2147483648 AS h2,
                            (hashint4(n + 104729) & 2147483647)::float / 2147483648 AS h3,
                            (hashint4(n + 1299709) & 2147483647)::float / 2147483648 AS h4
                        FROM generate_series(%(start)s, %(end)s) n
                    ) hashed
                ) t
                """,  # noqa: S608 - constants only
                {
                    "customer_text": CUSTOMER_TEXT,
                    "staff": STAFF,
                    "first_queue": first_queue,
                    "queues": last_queue - first_queue + 1,
                    "customers": CUSTOMERS,
                    "tickets": tickets,
                    "start": start,
                    "end": end,
                },
            )
            # Follow-ups k = 1..n (n = 2..6): 1 the opening, then staff (even k) and customer (odd
            # k) in turn; a staff entry is an internal note one time in four; a solved ticket's
            # last one is the resolution (new_status = the ticket's status).
            cursor.execute(
                """
                INSERT INTO helpdesk_followup (date, title, comment, public, new_status, ticket_id, user_id)
                SELECT t.created + k * interval '3 hours',
                    CASE WHEN k = 1 THEN 'Ticket Opened'
                         WHEN k = n AND t.status IN (3, 4, 5) THEN
                            CASE t.status WHEN 3 THEN 'Resolved' WHEN 4 THEN 'Closed' ELSE 'Duplicate' END
                         ELSE 'Comment' END,
                    CASE WHEN k = 1 THEN t.description
                         WHEN k = n AND t.status IN (3, 4, 5) THEN 'Fixed; see the last reply.'
                         WHEN k %% 2 = 1 THEN %(customer_text)s || '(reply ' || k || ')'
                         WHEN (t.id + k) %% 4 = 0 THEN %(note_text)s
                         ELSE %(staff_text)s END,
                    NOT (k > 1 AND k %% 2 = 0 AND (t.id + k) %% 4 = 0 AND NOT (k = n AND t.status IN (3, 4, 5))),
                    CASE WHEN k = n AND k > 1 AND t.status IN (3, 4, 5) THEN t.status END,
                    t.id,
                    CASE WHEN k = 1 OR (k %% 2 = 1 AND NOT (k = n AND t.status IN (3, 4, 5)))
                         THEN %(customer_id0)s + split_part(substring(t.submitter_email from 9), '@', 1)::int
                         ELSE coalesce(t.assigned_to_id, 1) END
                FROM (
                    SELECT id, created, status, description, submitter_email, assigned_to_id,
                        2 + (hashint4(id + 15485863) & 2147483647) %% 5 AS n
                    FROM helpdesk_ticket WHERE id BETWEEN %(start)s AND %(end)s
                ) t, generate_series(1, t.n) k
                ORDER BY t.id, k
                """,
                {
                    "customer_text": CUSTOMER_TEXT,
                    "staff_text": STAFF_TEXT,
                    "note_text": NOTE_TEXT,
                    "customer_id0": CUSTOMER_ID0,
                    "start": start,
                    "end": end,
                },
            )
            print(f"  tickets {start:,}-{end:,} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        cursor.execute("SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'), %s)", [max(tickets, 1)])
    timings["tickets and follow-ups"] = time.monotonic() - started

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO helpdesk_ticketchange (field, old_value, new_value, followup_id)
            SELECT 'Status', 'Open', CASE f.new_status WHEN 3 THEN 'Resolved' WHEN 4 THEN 'Closed' ELSE 'Duplicate' END,
                f.id
            FROM helpdesk_followup f WHERE f.new_status IS NOT NULL
            """
        )
        cursor.execute(
            """
            INSERT INTO helpdesk_ticketchange (field, old_value, new_value, followup_id)
            SELECT 'Owner', 'Unassigned', 'agent' || f.user_id, f.id
            FROM helpdesk_followup f JOIN helpdesk_ticket t ON t.id = f.ticket_id
            WHERE f.title = 'Comment' AND f.user_id <= %s AND f.ticket_id %% 10 < 3
              AND f.date = t.created + interval '6 hours'
            """,
            [STAFF],
        )
    timings["ticket changes"] = time.monotonic() - started
    started = time.monotonic()
    old_autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.set_autocommit(old_autocommit)
    timings["VACUUM ANALYZE"] = time.monotonic() - started
    timings["total"] = time.monotonic() - began
    return timings


def accounts(out: Path) -> dict:
    """The people and tickets the bench uses: a staff member, the busiest customer and their 50
    latest tickets (not those the bench's own creates made: one follow-up each), and 50 tickets
    with a short conversation (4 follow-ups) for the staff view."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT submitter_email, count(*) FROM helpdesk_ticket GROUP BY submitter_email ORDER BY 2 DESC, 1 LIMIT 1"
        )
        email, count = cursor.fetchone()
        cursor.execute(
            "SELECT t.id, q.slug FROM helpdesk_ticket t JOIN helpdesk_queue q ON q.id = t.queue_id "
            "WHERE t.submitter_email = %s AND t.title NOT LIKE 'Bench:%%' ORDER BY t.modified DESC, t.id DESC LIMIT 50",
            [email],
        )
        customer_tickets = [f"{slug}-{pk}" for pk, slug in cursor.fetchall()]
        cursor.execute(
            "SELECT t.id FROM helpdesk_ticket t WHERE t.id > (SELECT max(id) - 20000 FROM helpdesk_ticket) "
            "AND (SELECT count(*) FROM helpdesk_followup f WHERE f.ticket_id = t.id) = 4 ORDER BY t.id LIMIT 50"
        )
        short = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT email FROM auth_user WHERE is_staff AND NOT is_superuser ORDER BY id LIMIT 1")
        (agent,) = cursor.fetchone()
        cursor.execute("SELECT slug FROM helpdesk_queue ORDER BY id")
        queues = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM helpdesk_queue ORDER BY id")
        queue_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT username FROM auth_user WHERE email = %s", [email])
        (customer_username,) = cursor.fetchone()
        cursor.execute("SELECT username FROM auth_user WHERE email = %s", [agent])
        (agent_username,) = cursor.fetchone()
    data = {
        "password": PASSWORD,
        "agent": {"username": agent_username, "email": agent, "short_tickets": short},
        "customer": {"username": customer_username, "email": email, "tickets": customer_tickets, "count": count},
        "queues": queues,
        "queue_ids": queue_ids,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM helpdesk_ticket")
        (have,) = cursor.fetchone()
    if have >= args.tickets:
        print(f"dh_bench: {have:,} tickets already (reused)")
    else:
        print(f"dh_bench: {have:,} tickets, filling {args.tickets:,} anew", flush=True)
        timings = fill(args.tickets)
        for step, seconds in timings.items():
            print(f"  {step}: {seconds:.0f} s")
        (args.out.parent / "dh_fill.json").write_text(json.dumps(timings, indent=2))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM helpdesk_ticket), (SELECT count(*) FROM helpdesk_followup), "
            "(SELECT count(*) FROM helpdesk_followup WHERE NOT public), (SELECT count(*) FROM helpdesk_ticketchange), "
            "(SELECT count(*) FROM auth_user WHERE is_staff), (SELECT count(*) FROM auth_user WHERE NOT is_staff), "
            "(SELECT count(*) FROM helpdesk_queue)"
        )
        row = cursor.fetchone()
    names = ("tickets", "follow-ups", "internal follow-ups", "ticket changes", "staff", "customers", "queues")
    print("dh_bench: " + ", ".join(f"{value:,} {name}" for name, value in zip(names, row, strict=True)))
    data = accounts(args.out)
    print(f"busiest customer {data['customer']['email']}: {data['customer']['count']:,} tickets")


if __name__ == "__main__":
    main()
