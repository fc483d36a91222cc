from __future__ import annotations

import pytest

from tickets.tests.webhooks.support import Receiver
from tickets.webhooks import services


@pytest.fixture
def local_receivers(settings):
    """Tests reach their receiver on 127.0.0.1 through the allow-list, as an on-premises desk would."""
    settings.HELPDESK_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


@pytest.fixture
def receiver(local_receivers):
    with Receiver() as running:
        yield running


@pytest.fixture
def make_endpoint(admin):
    def make(url: str = "https://hooks.example.com/in", *, events=None, internal=False, receiver=None, name="CRM"):
        from tickets.webhooks.models import EventType

        endpoint, secret = services.endpoint_create(
            actor=admin,
            name=name,
            url=receiver.url if receiver is not None else url,
            events=list(
                events or [e for e in EventType.values if internal or e != EventType.TICKET_INTERNAL_NOTE_ADDED]
            ),
            internal=internal,
        )
        if receiver is not None:
            receiver.secret = secret
        return endpoint, secret

    return make
