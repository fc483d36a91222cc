"""What every endpoint of the REST API shares — project plumbing, no domain rules:

- ``errors``: the one exception handler (Django and domain errors → JSON responses);
- ``pagination``: keyset (cursor) pagination;
- ``throttles``: request rates;
- ``fields``: serializer fields and filters every app's API uses (ids, ``{id, name}`` shapes);
- ``schema``: the OpenAPI schema's list detection and documented error responses;
- ``document``: the OpenAPI document's settings (title, description, enum names);
- ``urls``: ``/api/`` — version 1, the schema and its docs.

Settings name these modules by dotted path; this package imports nothing at load time, so DRF's
settings can import them without a cycle. Apps import from here; nothing here imports an app.
"""
