"""Importing a Zendesk account through its Support API v2 (``manage.py import_zendesk``):
``client`` (HTTP, pages, rate limits), ``mapping`` (their words → ours), ``importer`` (people,
teams, the ticket export), ``tickets`` (one ticket and its history), ``parts`` (comments, files,
CCs)."""
