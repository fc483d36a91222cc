from __future__ import annotations

import pytest

from tickets.mail import intake
from tickets.mail.models import InboundMessage
from tickets.tests.mail.helpers import make_desk


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a call with its on-commit callbacks executed, as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def desk(committed, customer, org_member, other_customer, agent, ticket):
    return make_desk(committed, customer, org_member, other_customer, agent, ticket)


@pytest.fixture
def deliver(committed):
    """Deliver raw bytes through the store-first intake, processing after the commit; returns the
    stored message as it is afterwards."""

    def run(raw: bytes, *, door: str = "stdin", recipients=()) -> InboundMessage:
        received = committed(intake.receive, raw, door=door, envelope_recipients=recipients)
        return InboundMessage.objects.get(pk=received.inbound.pk)

    return run
