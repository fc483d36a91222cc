"""The email channel (issue 15): mail in through several doors, one pipeline, tickets out.

Doors (``smtp``, ``receive_mail --stdin``; IMAP and provider webhooks later) hand raw bytes to
``intake.receive``, which stores them first (``InboundMessage``, deduplicated by Message-ID per
mailbox and by content hash) and then schedules ``processing.process`` after the commit: a
Celery task with a broker, in process without one. Processing parses (``parsing``), drops noise
and loops (``noise``), finds the ticket (``routing``), checks who may write through
``tickets.permissions`` and writes through ``tickets.services`` like the portal does. A message
that fails is quarantined with the reason and never blocks the others.

This package imports ``tickets``, ``accounts`` and ``helpdesk``; they never import it (the
ticket side's outbound half, reply addresses and Message-IDs, is ``tickets.notifications.mailthread``).
Its models are registered under the ``tickets`` app (``tickets/models.py`` imports them for that).
"""
