"""Importers from other help desks (issue 18): django-helpdesk now, Zendesk next.

- ``models``: ``ImportLink`` (source record → local row) and ``ImportRun`` (checkpoints, report);
- ``framework``: the session every importer runs in — one transaction per record, upsert by link,
  resumable checkpoints, a progress bar and a report;
- ``people``: accounts for imported people (never with a usable password);
- ``writer``: imported tickets, messages, files and history written as they were, without the
  services' after-commit effects (no notifications, triggers, SLA clocks or live updates);
- ``django_helpdesk``: reading a django-helpdesk database and mapping it onto ours.
"""
