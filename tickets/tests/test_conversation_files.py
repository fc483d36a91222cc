"""Each message's files on the ticket pages (``selectors.conversation_for``): the portal's and the
agent's, from the ticket's one list of files."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import Attachment, Message
from tickets.tests.files import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """This module's files in a directory of its own."""
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "location": str(tmp_path / "media")}},
    }


@pytest.fixture
def ticket_with_files(ticket, customer, agent):
    """Ada's ticket with a PNG on her reply, a PDF on an agent's internal note and one on a reply."""
    services.message_add(
        actor=customer, ticket=ticket, body="Here is a screenshot.", attachments=[upload("shot.png", png_bytes())]
    )
    services.message_add(
        actor=agent, ticket=ticket, body="Seen it.", internal=True, attachments=[upload("internal.pdf", pdf_bytes())]
    )
    services.message_add(
        actor=agent, ticket=ticket, body="Our invoice copy.", attachments=[upload("copy.pdf", pdf_bytes())]
    )
    return ticket


def _message_sections(html: str) -> dict[int, str]:
    """Each message's part of a ticket page: from its ``id="message-N"`` to the next message or
    the end of the conversation's list (a message's files are a ``<ul>``)."""
    parts = re.split(r'id="message-(\d+)"', html)
    return {int(number): part.split("</ol>")[0] for number, part in zip(parts[1::2], parts[2::2], strict=True)}


def test_each_message_shows_its_own_files(client, customer, agent, ticket_with_files):
    """The pages take each message's files from the ticket's one list of files
    (``selectors.conversation_for``): every file under its own message, none under another, the
    note's file only on the agent's page, and the portal's Files list with the public ones."""
    by_message = {a.filename: a.message_id for a in Attachment.objects.filter(ticket=ticket_with_files)}
    client.force_login(customer)
    portal = client.get(reverse("portal:ticket", args=[ticket_with_files.pk])).content.decode()
    client.force_login(agent)
    workspace = client.get(reverse("agent:ticket", args=[ticket_with_files.pk])).content.decode()
    for html, shown in ((portal, {"shot.png", "copy.pdf"}), (workspace, {"shot.png", "copy.pdf", "internal.pdf"})):
        sections = _message_sections(html)
        assert set(sections) == set(
            Message.objects.filter(
                ticket=ticket_with_files, **({} if html is workspace else {"internal": False})
            ).values_list("pk", flat=True)
        )
        for number, section in sections.items():
            names = {name for name in by_message if f">{name}</a>" in section}
            assert names == {name for name, message in by_message.items() if message == number} & shown
    files_card = portal.split('id="files-heading"')[1]
    assert "shot.png" in files_card and "copy.pdf" in files_card and "internal.pdf" not in files_card
