"""manage.py explain_hot_queries: EXPLAIN (ANALYZE, BUFFERS) the queries the busy pages run.

Each query is built by the same selectors the pages and API call (nothing hand-written), for an
agent who sees every ticket, an agent who sees their teams' tickets, and the customer with the
most tickets. Writes one text file per query to ``--out`` (default docs/perf) and an index, and
with ``--check`` fails if any plan reads the tickets, messages or events table sequentially.
PostgreSQL only; run it on a large desk (``make bench`` generates one).

When the desk has the drop-down custom field ``plan`` with the option ``gold`` (``make bench``'s
``loadtest/prepare.py`` makes it and fills it in), also the saved-view and custom-field queries of
issue 16: a view "status in open/pending, priority high, custom.plan gold" (page and capped count)
for both agents, the API list filtered by ``cf_plan=gold``, and a view "custom.plan is set".

And the SLA queries of issue 17: "Next breach first" and the SLA-aware "Most urgent first" (and
its reverse) in the queue, and the views "Breaching within 1 h" and "Breached".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import EmptyResultSet
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Role, TicketScope, User
from helpdesk import keyset
from tickets import permissions, queue, queue_views, selectors, stats
from tickets.models import Notification, SavedView, Ticket, TicketField
from tickets.selectors import listing
from tickets.selectors.custom_fields import FieldFilter

# Tables a hot path must never read from end to end.
BIG_TABLES = ("tickets_ticket", "tickets_message", "tickets_ticketevent", "tickets_searchdocument")
# (A plan branch PostgreSQL never executed — an older search slice it did not need — reads nothing.)
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)(?![^\n]*never executed)")


class Command(BaseCommand):
    help = "EXPLAIN (ANALYZE, BUFFERS) the hot queries into docs/perf/ (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="docs/perf", help="Folder for the plans (default docs/perf).")
        parser.add_argument("--check", action="store_true", help="Fail on a sequential scan of a big table.")
        parser.add_argument("--search", default="refund", help="The word searched for (default 'refund').")

    def handle(self, *args, out: str, check: bool, search: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("EXPLAIN (ANALYZE, BUFFERS) plans are PostgreSQL's; point DATABASE_URL at one.")
        people = _people()
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        tickets = Ticket.objects.count()
        summary = []
        offenders = []
        for name, (purpose, build) in _queries(people, search).items():
            try:
                built = build()
                sql, params = built if isinstance(built, tuple) else built.query.sql_with_params()
            except EmptyResultSet:  # the desk has nothing this query could find: no SQL is sent
                self.stdout.write(f"{'-':>9}     {name}  (no query: nothing can match on this desk)")
                continue
            with connection.cursor() as cursor:
                cursor.execute(sql, params)  # warm the cache: plans are of a page served from memory
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                shown_sql = cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql
            scans = sorted({table for table in _SEQ_SCAN.findall(plan) if table in BIG_TABLES})
            took = re.search(r"Execution Time: ([\d.]+) ms", plan)
            ms = float(took.group(1)) if took else float("nan")
            (folder / f"{name}.txt").write_text(
                f"-- {purpose}\n-- {tickets:,} tickets; {timezone.now():%Y-%m-%d %H:%M} UTC\n\n{shown_sql};\n\n{plan}\n"
            )
            summary.append((name, purpose, ms, scans))
            if scans:
                offenders.append(f"{name}: {', '.join(scans)}")
            self.stdout.write(f"{ms:9.2f} ms  {name}{'  SEQ SCAN: ' + ', '.join(scans) if scans else ''}")
        lines = [
            "# Plans of the hot queries",
            "",
            f"Written by `manage.py explain_hot_queries` on {timezone.now():%Y-%m-%d} over {tickets:,} tickets "
            "(warm cache: each query runs once before it is explained). One file per query: the SQL as sent, "
            "then `EXPLAIN (ANALYZE, BUFFERS)`.",
            "",
            "| query | what it serves | execution | sequential scan of a big table |",
            "|---|---|---:|---|",
        ]
        lines += [
            f"| [{name}]({name}.txt) | {purpose} | {ms:.2f} ms | {', '.join(scans) or 'none'} |"
            for name, purpose, ms, scans in summary
        ]
        (folder / "README.md").write_text("\n".join(lines) + "\n")
        if check and offenders:
            raise CommandError("sequential scans on a hot path: " + "; ".join(offenders))


def _people() -> dict[str, User]:
    everyone = User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.ALL, is_active=True).order_by("pk").first()
    team = User.objects.filter(role=Role.AGENT, ticket_scope=TicketScope.TEAMS, is_active=True).order_by("pk").first()
    busiest = (
        Ticket.objects.values("requester")
        .annotate(n=Count("pk"))
        .order_by("-n", "requester")
        .values_list("requester", flat=True)
        .first()
    )
    if everyone is None or team is None or busiest is None:
        raise CommandError("Needs an all-tickets agent, a team agent and a customer with tickets (generate_tickets).")
    return {"agent": everyone, "team_agent": team, "customer": User.objects.get(pk=busiest)}


def _queries(people: dict[str, User], text: str) -> dict[str, tuple[str, Callable[[], QuerySet | tuple]]]:
    agent, team_agent, customer = people["agent"], people["team_agent"], people["customer"]

    def first_page(qs: QuerySet, sort: str = queue.DEFAULT_SORT) -> QuerySet:
        return queue.apply_sort(qs, sort)[: queue.PAGE_SIZE + 1]

    def my_tickets_ids(user: User) -> QuerySet:
        heads = [Ticket.objects.filter(part) for part in permissions.visible_parts(user)]
        keys = listing.sort_keys(selectors.DEFAULT_SORT, user)
        return keyset.heads_union(heads, keys, None, 26)[0]

    def some_ticket(user: User) -> Ticket:
        # The longest conversation the user may see among the bench's long tickets, else the newest.
        visible = permissions.visible_tickets(user)
        ticket = (
            visible.filter(tags__name="bench-long").order_by("pk").first()
            or visible.order_by("-updated_at", "-id").first()
        )
        assert ticket is not None, "the bench desk has tickets"
        return ticket

    def api_list(user: User, sort: str = selectors.DEFAULT_SORT, **filters) -> QuerySet:
        tickets = selectors.ticket_list_for_api(user)
        return selectors.ticket_list(user, selectors.TicketFilters(**filters), sort=sort, tickets=tickets)[:26]

    def searched(user: User) -> QuerySet:
        return api_list(user, selectors.SEARCH_SORT, q=text)

    urgent = {"priority": ["urgent", "high"]}
    month_ago = timezone.now() - timedelta(days=30)
    return {
        "queue_default_all_agent": (
            "Agent queue, default view (unassigned, unsolved) for an all-tickets agent",
            lambda: first_page(queue.filtered(agent, queue.DEFAULT_VIEW, {})),
        ),
        "queue_default_team_agent": (
            "Agent queue, default view for a team-only agent (guardian group permissions)",
            lambda: first_page(queue.filtered(team_agent, queue.DEFAULT_VIEW, {})),
        ),
        "queue_filtered_by_priority": (
            "Agent queue, all tickets, urgent+high, most urgent first",
            lambda: first_page(queue.filtered(agent, "all", urgent), "priority"),
        ),
        "queue_mine": (
            "Agent queue, 'Mine'",
            lambda: first_page(queue.filtered(agent, "mine", {})),
        ),
        "queue_counts_team_agent": (
            "The view counts of a team-only agent (capped sub-counts in one query; cached until a change)",
            lambda: queue.view_counts_sql(team_agent),
        ),
        "portal_my_tickets": (
            "Portal 'My tickets' of the customer with the most tickets: the page's ids, a page's worth from each "
            "part of what they see (tickets.permissions.visible_parts)",
            lambda: my_tickets_ids(customer),
        ),
        "portal_my_tickets_rows": (
            "Portal 'My tickets': then the page's rows, through the guardian user permissions",
            lambda: selectors.ticket_list_for_portal(customer).filter(
                pk__in=[row[-1] for row in my_tickets_ids(customer)]
            )[:26],
        ),
        "portal_conversation": (
            "Portal ticket page: the public conversation",
            lambda: selectors.messages_for(customer, some_ticket(customer)),
        ),
        "agent_timeline_events": (
            "Agent ticket page: the history",
            lambda: selectors.events_for(agent, some_ticket(agent)),
        ),
        "api_list_agent_filtered": (
            "API ticket list, status=open&priority=high, agent",
            lambda: api_list(agent, status=("open",), priority=("high",)),
        ),
        "api_list_customer": (
            "API ticket list of the customer with the most tickets: the page's ids, from each part of what they see "
            "(the rows are then read as for portal_my_tickets_rows)",
            lambda: keyset.heads_union(
                [
                    selectors.ticket_list(customer, tickets=Ticket.objects.filter(part))
                    for part in permissions.visible_parts(customer)
                ],
                listing.sort_keys(selectors.DEFAULT_SORT, customer),
                None,
                26,
            )[0],
        ),
        "search_agent": (
            f"Search '{text}' by an all-tickets agent (subject, replies, notes), best first",
            lambda: searched(agent),
        ),
        "search_team_agent": (
            f"Search '{text}' by a team-only agent",
            lambda: searched(team_agent),
        ),
        "search_customer": (
            f"Search '{text}' by the customer (public text only)",
            lambda: searched(customer),
        ),
        "stats_solves_30_days": (
            "Statistics, last 30 days: every entry into Solved with the agent credited (tickets.stats.solve_rows)",
            lambda: stats.solve_rows(month_ago, timezone.now()),
        ),
        "unread_notifications": (
            "The bell: unread notifications of an agent",
            lambda: Notification.objects.filter(recipient=agent, read_at__isnull=True).values("id")[:100],
        ),
        **_sla_queries(people, first_page),
        **_custom_field_queries(people, first_page, api_list),
    }


def _sla_queries(people: dict[str, User], first_page) -> dict:
    """Issue 17: the queue's SLA sorts and the two SLA views, as the queue page lists them (a
    built-in SLA view in its own order, "Next breach first")."""
    agent, team_agent = people["agent"], people["team_agent"]
    return {
        "queue_next_breach_all_open": (
            "Agent queue, 'All open', sorted 'Next breach first' (sla_breach_at NULLS LAST, id)",
            lambda: first_page(queue.filtered(agent, "open", {}), "sla"),
        ),
        "queue_most_urgent_all_open": (
            "Agent queue, 'All open', 'Most urgent first' (SLA-aware: next breach, then priority, id)",
            lambda: first_page(queue.filtered(agent, "open", {}), "priority"),
        ),
        "queue_most_urgent_team_agent": (
            "Agent queue, default view of a team-only agent, 'Most urgent first'",
            lambda: first_page(queue.filtered(team_agent, queue.DEFAULT_VIEW, {}), "priority"),
        ),
        "queue_least_urgent_all_open": (
            "Agent queue, 'All open', 'Least urgent first' (the same index read backwards)",
            lambda: first_page(queue.filtered(agent, "open", {}), "-priority"),
        ),
        "sla_breaching_agent": (
            "SLA view 'Breaching within 1 h', first page, all-tickets agent",
            lambda: first_page(queue.filtered(agent, "sla_breaching", {}), "sla"),
        ),
        "sla_breached_agent": (
            "SLA view 'Breached', first page, all-tickets agent",
            lambda: first_page(queue.filtered(agent, "sla_breached", {}), "sla"),
        ),
        "sla_breached_team_agent": (
            "SLA view 'Breached', first page, team-only agent",
            lambda: first_page(queue.filtered(team_agent, "sla_breached", {}), "sla"),
        ),
    }


#: The saved view measured by ``make bench`` (``loadtest/prepare.py`` saves the same conditions).
GOLD_VIEW = {
    "all": [
        {"field": "status", "operator": "in", "value": ["open", "pending"]},
        {"field": "priority", "operator": "is", "value": "high"},
        {"field": "custom.plan", "operator": "is", "value": "gold"},
    ]
}
PLAN_SET_VIEW = {"all": [{"field": "custom.plan", "operator": "present"}]}


def _custom_field_queries(people: dict[str, User], first_page, api_list) -> dict:
    plan = TicketField.objects.filter(key="plan", active=True).first()
    if plan is None or "gold" not in plan.option_values:
        return {}

    def view(conditions: dict) -> queue_views.ViewDefinition:
        return queue_views.definition(SavedView(name="explain", conditions=conditions, sort="-updated"))

    def page(user: User, conditions: dict) -> QuerySet:
        return first_page(queue_views.filtered(user, view(conditions), {"sort": "-updated"}))

    def count(user: User, conditions: dict) -> tuple[str, list]:
        # The saved view's sub-count as ``queue.view_counts_sql`` writes it (no order, capped).
        where = queue_views.view_q(view(conditions), user)
        capped = permissions.visible_tickets(user).order_by().filter(where).values("pk")[: queue.COUNT_CAP]
        sql, params = capped.query.sql_with_params()
        return f"SELECT COUNT(*) FROM ({sql}) AS v", list(params)  # noqa: S608 - compiled by the ORM

    agent, team_agent = people["agent"], people["team_agent"]
    gold = "status in open/pending, priority high, custom.plan gold"
    return {
        "saved_view_page_agent": (
            f"Saved view ({gold}), first page, all-tickets agent",
            lambda: page(agent, GOLD_VIEW),
        ),
        "saved_view_page_team_agent": (
            f"Saved view ({gold}), first page, team-only agent",
            lambda: page(team_agent, GOLD_VIEW),
        ),
        "saved_view_count_agent": (
            "That saved view's capped count (its part of the view-counts query), all-tickets agent",
            lambda: count(agent, GOLD_VIEW),
        ),
        "saved_view_count_team_agent": (
            "That saved view's capped count, team-only agent",
            lambda: count(team_agent, GOLD_VIEW),
        ),
        "api_list_custom_field": (
            "API ticket list, cf_plan=gold, agent",
            lambda: api_list(agent, custom_fields=(FieldFilter("plan", "gold"),)),
        ),
        "saved_view_page_plan_set": (
            "Saved view 'custom.plan is set' (custom_fields ? 'plan'), first page, all-tickets agent",
            lambda: page(agent, PLAN_SET_VIEW),
        ),
    }
