"""One rules engine for views, macros, triggers, automations and SLA policies (issue 16).

- ``fields``: what a condition may look at, each field's type and its operators;
- ``conditions``: parse a condition set once, then ask it of one ticket (``matches``) or of the
  database (``q``) — the two always agree;
- ``actions``: what a rule or macro does, checked once and carried out through
  ``tickets.services`` as the person it acts for (permissions, validation and history as
  for anyone); ``placeholders``: the safe ``{{ticket.id}}`` text of a reply it writes.
"""
