"""The README's "Webhooks" section says what the code does: its verification example, run as
written, accepts a real delivery and refuses a tampered one; its back-off and event lists match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tickets import services
from tickets.webhooks import sender
from tickets.webhooks.models import EventType, WebhookDelivery

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[3] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Webhooks")
    return text[start : text.index("\n## ", start + 1)]


def test_the_verification_example_verifies_a_real_delivery(customer, receiver, make_endpoint):
    (block,) = re.findall(r"```python\n(.*?)```", _section(), re.S)
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102 - our own README, run on purpose
    _endpoint, secret = make_endpoint(receiver=receiver)
    services.ticket_create(actor=customer, subject="Printer jams", description="It jams on every single page.")
    sender.send_due()
    (sent,) = receiver.received
    body = sender.body_of(WebhookDelivery.objects.get())
    event = namespace["receive"](body, sent["headers"], secret)
    assert event["type"] == "ticket.created" and event["data"]["ticket"]["subject"] == "Printer jams"
    with pytest.raises(WebhookVerificationError):
        namespace["receive"](body.replace(b"Printer", b"Scanner"), sent["headers"], secret)


def test_the_section_names_every_event_and_the_back_off():
    section = _section()
    for event in EventType.values:
        assert f"`{event}`" in section, event
    assert "5 s, 1 min,\n5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 20 h" in section
    assert [int(b.total_seconds()) for b in sender.BACKOFF] == [
        5,
        60,
        300,
        1800,
        7200,
        18000,
        36000,
        50400,
        72000,
        72000,
    ]
