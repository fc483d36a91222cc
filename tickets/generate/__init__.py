"""Synthetic tickets at scale, for benchmarks and demos (``manage.py generate_tickets``).

The rows written here are the rows ``tickets.services`` would write for the same history, so
the portal, the agent queue, the API and the statistics work on them exactly as on real ones
(``tests/test_generate_replay.py`` replays a story through the services to keep it so):

- ``corpus``: the words and sentences subjects and messages are made of;
- ``people``: customers in organizations (some sharing tickets), agents in teams (scope "all" or
  "teams"), admins; teams and organizations with their linked Django groups and the sharing
  group memberships that ``accounts.services`` keeps;
- ``stories``: per ticket, what happens to it — the description as first message, then claims,
  public replies, internal notes, status changes along ``services.TRANSITIONS``;
- ``rows``: a story as rows — ``TicketEvent`` rows shaped like the services' ones, consistent
  timestamps (``first_response_at``, ``solved_at``, ``closed_at``, ``updated_at`` = last
  activity) and the guardian rows of ``permissions.permission_rows_for_new_ticket`` (plus a
  reply row per collaborator);
- ``sla``: the desk's business schedule and SLA policies (made once), and per story the
  ``SlaClock`` rows ``tickets.sla.refresh`` would have left (and ``Ticket.sla_breach_at``), for
  the tickets created since the policies were adopted;
- ``loader``: batches into the database; ``runner``: the whole run (``generate``).

Tickets are generated and written batch by batch (memory stays flat whatever N is). On
PostgreSQL each batch goes in with COPY under ids reserved from each table's identity sequence,
on worker connections while the next batch is generated; elsewhere with ``bulk_create``.
Everything drawn comes from one ``random.Random(seed)``, and the people are a pure function of
their index, so a run is reproducible for a given seed and anchor.
"""

from tickets.generate.corpus import HOT_TAGS, OTHER_TAGS
from tickets.generate.loader import OrmLoader, PostgresLoader, loader_for
from tickets.generate.people import DEFAULT_PASSWORD, HISTORY_DAYS, Agent, People, Scale, ensure_people, scale_for
from tickets.generate.rows import TABLES, Batch, RowWriter, TicketGenerator
from tickets.generate.runner import Summary, ensure_tags, generate, ticket_permission_ids
from tickets.generate.stories import Step, Story, StoryTeller

__all__ = [
    "DEFAULT_PASSWORD",
    "HISTORY_DAYS",
    "HOT_TAGS",
    "OTHER_TAGS",
    "TABLES",
    "Agent",
    "Batch",
    "OrmLoader",
    "People",
    "PostgresLoader",
    "RowWriter",
    "Scale",
    "Step",
    "Story",
    "StoryTeller",
    "Summary",
    "TicketGenerator",
    "ensure_people",
    "ensure_tags",
    "generate",
    "loader_for",
    "scale_for",
    "ticket_permission_ids",
]
