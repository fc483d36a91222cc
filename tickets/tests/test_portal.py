"""The customer portal pages: permissions, forms, files, read markers, pagination, query counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tickets import services
from tickets.models import Attachment, Message, Status, Ticket
from tickets.tests.files import exe_bytes, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

INTERNAL_SECRET = "internal-only: customer is on the watch list"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test stores files in its own directory, so none are left in the shared one."""
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "location": str(tmp_path / "media")}},
    }


def stored_files() -> set[str]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def url(name: str, *args) -> str:
    return reverse(f"portal:{name}", args=args)


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def ticket_with_files(ticket, customer, agent):
    """Ada's ticket with a public PNG on a reply and a PDF on an agent's internal note."""
    services.message_add(
        actor=customer, ticket=ticket, body="Here is a screenshot.", attachments=[upload("shot.png", png_bytes())]
    )
    services.message_add(
        actor=agent,
        ticket=ticket,
        body=INTERNAL_SECRET,
        internal=True,
        attachments=[upload("internal.pdf", pdf_bytes())],
    )
    return ticket


def attachment(ticket, filename):
    return Attachment.objects.get(ticket=ticket, filename=filename)


# --- who may open what ----------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("my_tickets", ()), ("new_ticket", ()), ("ticket", (1,))])
def test_anonymous_is_sent_to_sign_in(client, name, args):
    response = client.get(url(name, *args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["reply", "solve", "reopen"])
def test_anonymous_posts_are_sent_to_sign_in(client, ticket, name):
    response = client.post(url(name, ticket.pk), {"body": "hello there"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert ticket.messages.count() == 1


def test_anonymous_download_is_sent_to_sign_in(client, ticket_with_files):
    response = client.get(reverse("attachments:download", args=[attachment(ticket_with_files, "shot.png").pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_sends_customers_to_the_portal(signed_in, customer, agent):
    assert signed_in(customer).get("/")["Location"] == url("my_tickets")
    assert signed_in(agent).get("/")["Location"] == reverse("agent:queue")


def test_agents_are_sent_home_from_the_portal(signed_in, agent, ticket):
    response = signed_in(agent).get(url("ticket", ticket.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_requester_sees_ticket_page(signed_in, customer, ticket_with_files):
    response = signed_in(customer).get(url("ticket", ticket_with_files.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cannot download invoice" in html
    assert "Here is a screenshot." in html
    assert "shot.png" in html
    assert f'action="{url("reply", ticket_with_files.pk)}"' in html
    assert "Mark as solved" in html


def test_small_files_show_their_size_in_bytes(signed_in, customer, ticket_with_files):
    """A 67-byte file reads "67 bytes", not "1 KB"; larger ones KB or MB with one decimal."""
    from django.template.defaultfilters import filesizeformat

    html = signed_in(customer).get(url("ticket", ticket_with_files.pk)).content.decode()
    for attachment in Attachment.objects.filter(ticket=ticket_with_files, message__internal=False):
        assert attachment.size < 1024
        assert f"{attachment.size}\xa0bytes" in html
    assert filesizeformat(67) == "67\xa0bytes"
    assert filesizeformat(1536) == "1.5\xa0KB"
    assert filesizeformat(5 * 1024 * 1024 + 300 * 1024) == "5.3\xa0MB"


def test_the_file_picker_describes_sizes_as_the_pages_do():
    """static/js/portal.js lists chosen files with the same sizes the pages show once stored."""
    import json
    import os
    import re
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node is not installed (apt-get install -y nodejs)")
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    source = (Path(__file__).resolve().parents[2] / "static" / "js" / "portal.js").read_text()
    describe = re.search(r"^  function describe\(file\) \{.*?^  \}$", source, re.M | re.S)
    assert describe, "portal.js has no describe(file)"
    sizes = [1, 67, 1023, 1024, 1536, 10 * 1024, 5 * 1024 * 1024 + 300 * 1024]
    script = describe.group(0) + f"\nconsole.log(JSON.stringify({sizes}.map((size) => describe({{size}}))));"
    shown = json.loads(subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout)
    assert shown == ["1 byte", "67 bytes", "1023 bytes", "1.0 KB", "1.5 KB", "10.0 KB", "5.3 MB"]


def test_internal_notes_never_reach_the_portal(signed_in, customer, org_member, ticket_with_files):
    for user in (customer, org_member):
        client = signed_in(user)
        html = client.get(url("ticket", ticket_with_files.pk)).content.decode()
        assert INTERNAL_SECRET not in html
        assert "internal.pdf" not in html
        assert "Internal note" not in html
        listing = client.get(url("my_tickets"), {"q": "watch list"}).content.decode()
        assert "Cannot download invoice" not in listing  # notes are not searched either


def test_org_member_reads_but_has_no_reply_box(signed_in, org_member, ticket):
    response = signed_in(org_member).get(url("ticket", ticket.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cannot download invoice" in html
    assert url("reply", ticket.pk) not in html
    assert url("solve", ticket.pk) not in html


def test_other_customer_gets_404_everywhere(signed_in, other_customer, ticket_with_files):
    client = signed_in(other_customer)
    pk = ticket_with_files.pk
    assert client.get(url("ticket", pk)).status_code == 404
    assert client.post(url("reply", pk), {"body": "let me in"}).status_code == 404
    assert client.post(url("solve", pk)).status_code == 404
    assert client.post(url("reopen", pk)).status_code == 404
    png = attachment(ticket_with_files, "shot.png")
    assert client.get(reverse("attachments:download", args=[png.pk])).status_code == 404
    assert "Cannot download invoice" not in client.get(url("my_tickets")).content.decode()
    assert Message.objects.filter(ticket=ticket_with_files, body="let me in").count() == 0


def test_missing_ticket_is_404(signed_in, customer):
    assert signed_in(customer).get(url("ticket", 999999)).status_code == 404


def test_org_member_may_not_reply_or_solve(signed_in, org_member, ticket):
    client = signed_in(org_member)
    assert client.post(url("reply", ticket.pk), {"body": "me too"}).status_code == 403
    assert client.post(url("solve", ticket.pk)).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("name", ["reply", "solve", "reopen"])
def test_actions_need_post(signed_in, customer, ticket, name):
    assert signed_in(customer).get(url(name, ticket.pk)).status_code == 405


# --- downloads ------------------------------------------------------------------------------------


def test_download_streams_with_safe_headers(signed_in, customer, org_member, ticket_with_files):
    png = attachment(ticket_with_files, "shot.png")
    for user in (customer, org_member):
        response = signed_in(user).get(reverse("attachments:download", args=[png.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == png_bytes()
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'attachment; filename="shot.png"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


def test_download_encodes_unusual_filenames(signed_in, customer, ticket):
    services.message_add(
        actor=customer, ticket=ticket, body="Files", attachments=[upload('Fac"ture été.pdf', pdf_bytes())]
    )
    file = Attachment.objects.get(ticket=ticket)
    response = signed_in(customer).get(reverse("attachments:download", args=[file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Fac%22ture%20%C3%A9t%C3%A9.pdf"


def test_attachment_on_internal_note_is_404_for_customers_only(signed_in, customer, agent, ticket_with_files):
    note_file = attachment(ticket_with_files, "internal.pdf")
    assert signed_in(customer).get(reverse("attachments:download", args=[note_file.pk])).status_code == 404
    response = signed_in(agent).get(reverse("attachments:download", args=[note_file.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_download_is_streamed_when_the_storage_url_cannot_carry_the_headers(signed_in, customer, ticket, settings):
    # Django's in-memory storage serves files by URL but cannot sign in our content type and
    # disposition: no redirect there (S3's signed redirect: tickets/tests/test_downloads.py).
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://files.example.test/"},
        },
    }
    services.message_add(actor=customer, ticket=ticket, body="Files", attachments=[upload("shot.png", png_bytes())])
    file = Attachment.objects.get(ticket=ticket)
    response = signed_in(customer).get(reverse("attachments:download", args=[file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="shot.png"'
    assert b"".join(response.streaming_content) == png_bytes()


# --- new ticket -----------------------------------------------------------------------------------


def valid_ticket(**extra):
    data = {
        "subject": "Printer is on fire",
        "description": "The invoice printer started smoking after the update.",
        "priority": "high",
        "category": "technical",
    }
    data.update(extra)
    return data


def test_new_ticket_with_two_files(signed_in, customer):
    client = signed_in(customer)
    assert client.get(url("new_ticket")).status_code == 200
    response = client.post(
        url("new_ticket"),
        valid_ticket(attachments=[upload("a.png", png_bytes()), upload("b.pdf", pdf_bytes())]),
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket.pk)
    assert (ticket.subject, ticket.priority, ticket.category, ticket.requester) == (
        "Printer is on fire",
        "high",
        "technical",
        customer,
    )
    assert sorted(ticket.attachments.values_list("filename", "content_type")) == [
        ("a.png", "image/png"),
        ("b.pdf", "application/pdf"),
    ]


def test_customers_cannot_set_agent_fields(signed_in, customer, agent, billing_team):
    signed_in(customer).post(
        url("new_ticket"), valid_ticket(status="solved", assignee=agent.pk, team=billing_team.pk, channel="agent")
    )
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.assignee, ticket.team, ticket.channel) == ("open", None, None, "web")


@pytest.mark.parametrize(
    "bad,field,message",
    [
        ({"subject": "Hi"}, "subject", "at least 5 characters"),
        ({"description": "Too short"}, "description", "at least 20 characters"),
        ({"priority": "whenever"}, "priority", "Select a valid choice"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_creates_nothing(signed_in, customer, bad, field, message):
    before = stored_files()
    data = valid_ticket(attachments=[upload("a.png", png_bytes())], **bad)
    response = signed_in(customer).post(url("new_ticket"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "The invoice printer started smoking" in html or field == "description"
    assert "Too short" in html or field != "description"
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files() == before


def test_oversize_file_is_refused_by_name(signed_in, customer, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1000
    before = stored_files()
    response = signed_in(customer).post(
        url("new_ticket"),
        valid_ticket(attachments=[upload("small.png", png_bytes()), upload("huge.pdf", pdf_bytes() + b"%" * 2000)]),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "huge.pdf is 2.1\xa0KB; files can be at most 1000\xa0bytes" in html
    assert "Printer is on fire" in html
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files() == before


def test_disguised_executable_is_refused(signed_in, customer):
    before = stored_files()
    response = signed_in(customer).post(
        url("new_ticket"), valid_ticket(attachments=[upload("invoice.pdf", exe_bytes(), "application/pdf")])
    )
    assert response.status_code == 400
    assert "invoice.pdf is not a file type we accept" in response.content.decode()
    assert Ticket.objects.count() == 0
    assert stored_files() == before


def test_too_many_files_are_refused(signed_in, customer, settings):
    settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST = 2
    files = [upload(f"{n}.png", png_bytes()) for n in range(3)]
    response = signed_in(customer).post(url("new_ticket"), valid_ticket(attachments=files))
    assert response.status_code == 400
    assert "Attach at most 2 files" in response.content.decode()
    assert Ticket.objects.count() == 0


# --- replies, solving, reopening, closed tickets --------------------------------------------------


def test_reply_with_file(signed_in, customer, ticket):
    response = signed_in(customer).post(
        url("reply", ticket.pk), {"body": "More details **here**.", "attachments": [upload("more.png", png_bytes())]}
    )
    assert response.status_code == 302
    message = ticket.messages.last()
    assert message.body == "More details **here**."
    assert message.attachments.get().filename == "more.png"


def test_bad_reply_keeps_text_and_stores_nothing(signed_in, customer, ticket):
    before = stored_files()
    response = signed_in(customer).post(
        url("reply", ticket.pk), {"body": "My typed words", "attachments": [upload("x.pdf", exe_bytes())]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "My typed words" in html and "x.pdf is not a file type we accept" in html
    assert ticket.messages.count() == 1
    assert stored_files() == before


def test_solve_and_reopen(signed_in, customer, ticket):
    client = signed_in(customer)
    assert client.post(url("solve", ticket.pk)).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert "Reopen" in html and "Ada Customer changed the status from Open to Solved" in html
    client.post(url("reopen", ticket.pk))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reopen_an_open_ticket_says_why_not(signed_in, customer, ticket):
    response = signed_in(customer).post(url("reopen", ticket.pk), follow=True)
    # open -> open is "no change": nothing to refuse, the page simply shows the ticket again
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_closed_ticket_is_read_only_with_follow_up(signed_in, customer, agent, ticket):
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.CLOSED)
    client = signed_in(customer)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert url("reply", ticket.pk) not in html and "Mark as solved" not in html
    assert f"{url('new_ticket')}?follow_up={ticket.pk}" in html
    response = client.post(url("reply", ticket.pk), {"body": "still broken"}, follow=True)
    assert "closed and takes no more replies" in response.content.decode()
    form = client.get(url("new_ticket"), {"follow_up": ticket.pk}).content.decode()
    assert f"Follow-up to #{ticket.pk}: Cannot download invoice" in form
    client.post(url("new_ticket"), valid_ticket(subject=f"Follow-up to #{ticket.pk}: again", follow_up_of=ticket.pk))
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.metadata == {"follow_up_of": ticket.pk}
    assert f'href="{url("ticket", ticket.pk)}"' in client.get(url("ticket", follow_up.pk)).content.decode()


def test_follow_up_of_someone_elses_ticket_is_not_referenced(signed_in, other_customer, ticket):
    client = signed_in(other_customer)
    assert "Follow-up to" not in client.get(url("new_ticket"), {"follow_up": ticket.pk}).content.decode()
    client.post(url("new_ticket"), valid_ticket(follow_up_of=ticket.pk))
    assert Ticket.objects.get(requester=other_customer).metadata == {}


def test_message_markdown_is_sanitized(signed_in, customer, ticket):
    services.message_add(
        actor=customer, ticket=ticket, body='<script>alert(1)</script> [x](javascript:alert(2)) <b onclick="y">b</b>'
    )
    html = signed_in(customer).get(url("ticket", ticket.pk)).content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html
    assert "<b onclick" not in html and "&lt;script&gt;alert(1)" in html  # shown as text, never as markup


# --- My tickets -----------------------------------------------------------------------------------


def make_ticket(user, subject, **extra):
    return services.ticket_create(
        actor=user, subject=subject, description="Enough words to be a valid description.", **extra
    )


def test_my_tickets_lists_own_and_shared(signed_in, customer, org_member, other_customer):
    make_ticket(customer, "Ada's question")
    make_ticket(org_member, "Bob's question")
    make_ticket(other_customer, "Eve's question")
    html = signed_in(customer).get(url("my_tickets")).content.decode()
    assert "Ada&#x27;s question" in html and "Bob&#x27;s question" in html
    assert "Eve&#x27;s question" not in html
    assert "asked by Bob Colleague" in html


def test_status_filters(signed_in, customer, agent):
    open_ticket = make_ticket(customer, "Still open one")
    pending = make_ticket(customer, "Waiting for me")
    services.ticket_change_status(actor=agent, ticket=pending, status=Status.PENDING)
    solved = make_ticket(customer, "Already solved")
    services.ticket_change_status(actor=customer, ticket=solved, status=Status.SOLVED)
    client = signed_in(customer)

    def listed(status):
        page = client.get(url("my_tickets"), {"status": status}).content.decode()
        return {t.subject for t in (open_ticket, pending, solved) if t.subject in page}

    assert listed("all") == {"Still open one", "Waiting for me", "Already solved"}
    assert listed("open") == {"Still open one"}
    assert listed("waiting") == {"Waiting for me"}
    assert listed("solved") == {"Already solved"}
    assert listed("closed") == set()
    assert listed("bogus") == listed("all")


def test_search_subject_and_public_messages(signed_in, customer, agent):
    first = make_ticket(customer, "Login trouble")
    second = make_ticket(customer, "Invoice question")
    services.message_add(actor=agent, ticket=second, body="Try the PURPLE button please.")
    services.message_add(actor=agent, ticket=first, body="Secret: orange", internal=True)
    client = signed_in(customer)
    assert "Login trouble" in client.get(url("my_tickets"), {"q": "login"}).content.decode()
    page = client.get(url("my_tickets"), {"q": "purple"}).content.decode()
    assert "Invoice question" in page and "Login trouble" not in page
    page = client.get(url("my_tickets"), {"q": "orange"}).content.decode()
    assert "Login trouble" not in page and "No tickets match" in page


def test_empty_state_says_what_to_do(signed_in, customer):
    html = signed_in(customer).get(url("my_tickets")).content.decode()
    assert "You have no tickets yet" in html and "File your first ticket" in html


def test_new_reply_flag_follows_what_the_customer_saw(signed_in, customer, agent, ticket):
    client = signed_in(customer)
    assert "New reply" not in client.get(url("my_tickets")).content.decode()
    services.message_add(actor=agent, ticket=ticket, body="We are on it.")
    assert "New reply" in client.get(url("my_tickets")).content.decode()
    client.get(url("ticket", ticket.pk))
    assert "New reply" not in client.get(url("my_tickets")).content.decode()
    services.message_add(actor=agent, ticket=ticket, body="Note to self", internal=True)
    services.message_add(actor=customer, ticket=ticket, body="Thanks!")
    assert "New reply" not in client.get(url("my_tickets")).content.decode()
    services.message_add(actor=agent, ticket=ticket, body="Fixed now.")
    assert "New reply" in client.get(url("my_tickets")).content.decode()


def test_keyset_pagination_walks_forward_and_back(signed_in, customer):
    from tickets.views.portal import PAGE_SIZE

    for n in range(PAGE_SIZE + 5):
        make_ticket(customer, f"Numbered ticket {n:03d}")
    client = signed_in(customer)
    first = client.get(url("my_tickets"))
    assert first.context["page"].previous_cursor is None
    first_ids = [t.pk for t in first.context["page"].items]
    assert len(first_ids) == PAGE_SIZE
    second = client.get(url("my_tickets"), {"cursor": first.context["page"].next_cursor})
    second_ids = [t.pk for t in second.context["page"].items]
    assert len(second_ids) == 5 and second.context["page"].next_cursor is None
    assert set(first_ids).isdisjoint(second_ids)
    assert first_ids + second_ids == sorted(first_ids + second_ids, reverse=True)  # same timestamps order by id
    back = client.get(url("my_tickets"), {"cursor": second.context["page"].previous_cursor})
    assert [t.pk for t in back.context["page"].items] == first_ids
    assert client.get(url("my_tickets"), {"cursor": "garbage!!"}).status_code == 200
