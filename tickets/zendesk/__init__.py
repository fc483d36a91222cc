"""A Zendesk-compatible API under /api/v2/ (issue 18 §1): a thin translation layer.

Scripts written for Zendesk's Support API v2 (the zenpy client among them) run against this desk
unchanged. Every read goes through ``tickets.selectors``, every write through ``tickets.services``
or ``accounts.services``, every access decision through ``tickets.permissions``; the modules here
only translate between Zendesk's shapes and ours:

- ``auth``: HTTP Basic ``email/token:API-token`` and Bearer tokens (passwords are refused);
- ``errors``: errors in Zendesk's shape (``{"error", "description", "details"}``), 429 with an
  integer ``Retry-After``; ``base``: the view every endpoint here builds on;
- ``mapping``: statuses, priorities, channels, roles and custom fields, and the JSON of tickets,
  comments, attachments, users, organizations and groups;
- ``tickets``, ``uploads``, ``search_query`` / ``search``, ``incremental``, ``jobs``, ``people``:
  the endpoints; ``urls``: the routes.
"""
