"""Outgoing webhooks (issue 18 §3): admins register endpoints; committed ticket changes reach them
signed per the Standard Webhooks specification, at least once, in the background.

- ``models``: ``WebhookEndpoint`` (URL, events, sealed secret, internal flag) and
  ``WebhookDelivery`` (the transactional outbox: one row per event and endpoint, its payload,
  state, attempts and last response — the delivery log);
- ``outbox``: ``TicketChange.after_commit`` calls ``after_change`` *inside* the change's
  transaction, so the delivery rows commit (or roll back) with the history they describe;
- ``payloads``: the versioned JSON of each event type, from the API's own serializers;
- ``signing``: secrets (``whsec_`` + base64, sealed at rest) and the ``webhook-signature``;
- ``network``: the SSRF guard (every resolved address checked, the connection pinned to it);
- ``sender``: claims due deliveries with ``SELECT … FOR UPDATE SKIP LOCKED``, commits the
  lease, sends, records, retries with back-off for about three days, disables failing endpoints;
- ``services``: what admins do to endpoints (create, change, pause, redeliver, send a test);
- ``settings_pages`` (Settings → Webhooks) and ``api`` (``/api/v1/webhooks/``).
"""
