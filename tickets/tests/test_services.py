"""The services of DESIGN §6: lifecycle, history, validation, claims, attachments, deletion."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from accounts import services as account_services
from accounts.models import User
from tickets import services
from tickets.exceptions import AttachmentTooLarge, BulkUpdateFailed, Conflict, UnsupportedFileType
from tickets.models import Attachment, EventKind, Message, Status, Tag, Ticket, TicketEvent
from tickets.tests.factories import PNG_BYTES, make_ticket, pdf, png, text_file, upload


def media_files() -> set[str]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def counts() -> tuple[int, int, int, int]:
    return Ticket.objects.count(), Message.objects.count(), Attachment.objects.count(), TicketEvent.objects.count()


# --- lifecycle ---------------------------------------------------------------------------------

ALL_STATUSES = list(Status.values)
TRANSITION_CASES = [(old, new) for old in ALL_STATUSES for new in ALL_STATUSES if old != new]


def _ticket_in(status: str, requester, agent) -> Ticket:
    """A ticket brought to ``status`` along allowed transitions."""
    ticket = make_ticket(requester)
    path = {
        Status.OPEN: [],
        Status.IN_PROGRESS: [Status.IN_PROGRESS],
        Status.PENDING: [Status.PENDING],
        Status.ON_HOLD: [Status.ON_HOLD],
        Status.SOLVED: [Status.SOLVED],
        Status.CLOSED: [Status.SOLVED, Status.CLOSED],
    }[Status(status)]
    for step in path:
        ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=step)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), TRANSITION_CASES, ids=[f"{o}->{n}" for o, n in TRANSITION_CASES])
def test_every_transition_for_agents(customer, agent, old, new):
    ticket = _ticket_in(old, customer, agent)
    before = TicketEvent.objects.filter(ticket=ticket).count()
    if new in services.TRANSITIONS[old]:
        ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=new)
        ticket.refresh_from_db()
        assert ticket.status == new
        event = TicketEvent.objects.filter(ticket=ticket).latest("id")
        assert (event.kind, event.data, event.actor_id) == (
            EventKind.STATUS_CHANGED,
            {"old": old, "new": new},
            agent.pk,
        )
        assert TicketEvent.objects.filter(ticket=ticket).count() == before + 1
    else:
        with pytest.raises(ValidationError) as excinfo:
            services.ticket_change_status(actor=agent, ticket=ticket, status=new)
        assert "status" in excinfo.value.message_dict
        ticket.refresh_from_db()
        assert ticket.status == old
        assert TicketEvent.objects.filter(ticket=ticket).count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), TRANSITION_CASES, ids=[f"{o}->{n}" for o, n in TRANSITION_CASES])
def test_every_transition_for_the_requester(customer, agent, old, new):
    ticket = _ticket_in(old, customer, agent)
    before = TicketEvent.objects.filter(ticket=ticket).count()
    if (old, new) in services.REQUESTER_TRANSITIONS:
        services.ticket_change_status(actor=customer, ticket=ticket, status=new)
        ticket.refresh_from_db()
        assert ticket.status == new
    else:
        expected = ValidationError if new not in services.TRANSITIONS[old] else PermissionDenied
        with pytest.raises(expected):
            services.ticket_change_status(actor=customer, ticket=ticket, status=new)
        ticket.refresh_from_db()
        assert ticket.status == old
        assert TicketEvent.objects.filter(ticket=ticket).count() == before


@pytest.mark.django_db
def test_lifecycle_timestamps(customer, agent):
    ticket = make_ticket(customer)
    assert ticket.status == Status.OPEN and ticket.solved_at is None
    ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    assert ticket.solved_at is not None
    ticket = services.ticket_change_status(actor=customer, ticket=ticket, status=Status.OPEN)
    assert ticket.solved_at is None
    ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=Status.CLOSED)
    assert ticket.closed_at is not None and ticket.solved_at is not None


@pytest.mark.django_db
def test_same_status_is_a_no_op(customer, agent):
    ticket = make_ticket(customer)
    before = TicketEvent.objects.count()
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.OPEN)
    assert TicketEvent.objects.count() == before


@pytest.mark.django_db
def test_unknown_status_is_refused(customer, agent):
    ticket = make_ticket(customer)
    with pytest.raises(ValidationError) as excinfo:
        services.ticket_change_status(actor=agent, ticket=ticket, status="escalated")
    assert "status" in excinfo.value.message_dict


# --- conversation ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.PENDING, Status.SOLVED])
def test_requester_reply_reopens(customer, agent, status):
    ticket = _ticket_in(status, customer, agent)
    services.message_add(actor=customer, ticket=ticket, body="It is still broken.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("-id").values_list("kind", flat=True)[:2])
    assert set(kinds) == {EventKind.MESSAGE_ADDED, EventKind.STATUS_CHANGED}


@pytest.mark.django_db
def test_first_response_counts_only_public_agent_replies(customer, agent):
    ticket = make_ticket(customer)
    services.message_add(actor=agent, ticket=ticket, body="Checking the logs.", internal=True)
    services.message_add(actor=customer, ticket=ticket, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    reply = services.message_add(actor=agent, ticket=ticket, body="Fixed it, please try again.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    services.message_add(actor=agent, ticket=ticket, body="One more thing.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at


@pytest.mark.django_db
def test_reply_with_status_in_one_step(customer, agent):
    ticket = make_ticket(customer)
    services.message_add(actor=agent, ticket=ticket, body="Can you send a screenshot?", status=Status.PENDING)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


@pytest.mark.django_db
def test_invalid_status_with_reply_writes_nothing(customer, agent):
    ticket = make_ticket(customer)
    before = counts()
    with pytest.raises(ValidationError):
        services.message_add(actor=agent, ticket=ticket, body="Closing.", status=Status.CLOSED)
    assert counts() == before


@pytest.mark.django_db
def test_closed_ticket_takes_no_reply(customer, agent):
    ticket = _ticket_in(Status.CLOSED, customer, agent)
    before = counts()
    with pytest.raises(Conflict):
        services.message_add(actor=customer, ticket=ticket, body="Hello?")
    with pytest.raises(Conflict):
        services.ticket_update(actor=agent, ticket=ticket, priority="urgent")
    assert counts() == before


@pytest.mark.django_db
def test_customer_cannot_set_status_with_a_reply(ticket, customer):
    with pytest.raises(PermissionDenied):
        services.message_add(actor=customer, ticket=ticket, body="Done", status=Status.SOLVED)


# --- history: one event per change, none on refusal ----------------------------------------------


@pytest.mark.django_db
def test_every_change_writes_its_event(ticket, agent, team_agent, tech_team):
    ticket = Ticket.objects.get(pk=ticket.pk)
    start = TicketEvent.objects.filter(ticket=ticket).count()
    services.ticket_update(
        actor=agent,
        ticket=ticket,
        subject="Invoice download fails",
        priority="high",
        category="billing",
        tags=["invoice", "Download"],
    )
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)[start:])
    assert {
        EventKind.SUBJECT_CHANGED,
        EventKind.PRIORITY_CHANGED,
        EventKind.CATEGORY_CHANGED,
        EventKind.TAGS_CHANGED,
    } <= kinds
    assert TicketEvent.objects.filter(ticket=ticket).count() == start + 4
    assert sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["download", "invoice"]
    services.ticket_assign(actor=agent, ticket=ticket, assignee=team_agent)
    services.ticket_update(actor=agent, ticket=ticket, team=tech_team)  # team_agent cannot work Technical
    ticket.refresh_from_db()
    assert ticket.assignee is None
    tail = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))[-3:]
    assert tail == [EventKind.ASSIGNED, EventKind.TEAM_CHANGED, EventKind.ASSIGNED]
    team_event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TEAM_CHANGED).latest("id")
    assert team_event.public is False


@pytest.mark.django_db
def test_unchanged_values_write_no_event(ticket, agent):
    before = TicketEvent.objects.count()
    services.ticket_update(actor=agent, ticket=ticket, priority=ticket.priority, subject=ticket.subject)
    assert TicketEvent.objects.count() == before


@pytest.mark.django_db
def test_refused_change_writes_nothing(ticket, customer, other_team_agent):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.ticket_update(actor=customer, ticket=ticket, priority="urgent")
    with pytest.raises(ValidationError):
        services.ticket_assign(
            actor=customer.__class__.objects.get(role="admin"), ticket=ticket, assignee=other_team_agent
        )
    assert counts() == before


# --- bad input ---------------------------------------------------------------------------------

BAD_CREATE_INPUT = [
    ({"subject": ""}, "subject"),
    ({"subject": "Hi"}, "subject"),
    ({"subject": "x" * 151}, "subject"),
    ({"description": "too short"}, "description"),
    ({"description": "x" * 20_001}, "description"),
    ({"tags": [f"tag{i}" for i in range(11)]}, "tags"),
    ({"tags": ["x" * 51]}, "tags"),
    ({"tags": ["no spaces"]}, "tags"),
    ({"priority": "whenever"}, "priority"),
    ({"category": "gossip"}, "category"),
    ({"status": "escalated"}, "status"),
    ({"metadata": {f"k{i}": i for i in range(51)}}, "metadata"),
    ({"metadata": ["not", "an", "object"]}, "metadata"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("override", "field"), BAD_CREATE_INPUT, ids=[f for _, f in BAD_CREATE_INPUT])
def test_bad_input_names_the_field_and_writes_nothing(agent, customer, override, field):
    data = {
        "subject": "Printer is on fire",
        "description": "It started smoking after the update.",
        "requester": customer,
    }
    data.update(override)
    before, files = counts(), media_files()
    with pytest.raises(ValidationError) as excinfo:
        services.ticket_create(actor=agent, **data)
    assert field in excinfo.value.message_dict
    assert counts() == before and media_files() == files


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["requester", "assignee", "team", "status"])
def test_customer_cannot_set_agent_fields(customer, agent, billing_team, field):
    value = {"requester": customer, "assignee": agent, "team": billing_team, "status": Status.PENDING}[field]
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        services.ticket_create(
            actor=customer,
            subject="Printer is on fire",
            description="It started smoking after the update.",
            **{field: value},
        )
    assert field in excinfo.value.message_dict
    assert counts() == before


@pytest.mark.django_db
def test_subject_loses_line_breaks(customer):
    ticket = make_ticket(customer, subject="Line one\r\nBcc: evil@example.com")
    assert ticket.subject == "Line one Bcc: evil@example.com"


@pytest.mark.django_db
def test_tags_are_stored_lower_case_once(customer, agent):
    ticket = make_ticket(customer)
    services.ticket_update(actor=agent, ticket=ticket, tags=["VPN", "vpn", "Mac_OS"])
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["mac_os", "vpn"]
    assert Tag.objects.filter(name="vpn").count() == 1


# --- attachments -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_attachments_are_stored_under_opaque_keys(customer):
    ticket = make_ticket(customer, attachments=[png("../../etc/passwd.png"), pdf(), text_file("log.csv", "a,b\n1,2\n")])
    stored = list(Attachment.objects.filter(ticket=ticket).order_by("id"))
    assert [a.content_type for a in stored] == ["image/png", "application/pdf", "text/csv"]
    assert [a.filename for a in stored] == ["passwd.png", "invoice.pdf", "log.csv"]
    for attachment in stored:
        assert attachment.file.name.startswith("attachments/")
        assert attachment.filename not in attachment.file.name
        assert len(attachment.sha256) == 64
    assert stored[0].file.read() == PNG_BYTES
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ATTACHMENT_ADDED).count() == 3


@pytest.mark.django_db
def test_oversize_file_is_refused(customer, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 100
    before, files = counts(), media_files()
    with pytest.raises(AttachmentTooLarge) as excinfo:
        make_ticket(customer, attachments=[png(), upload("big.txt", b"x" * 101)])
    assert "big.txt" in str(excinfo.value.message_dict["attachments"])
    assert counts() == before and media_files() == files


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("report.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
        ("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ],
)
def test_disguised_files_are_refused(customer, name, content):
    before, files = counts(), media_files()
    with pytest.raises(UnsupportedFileType) as excinfo:
        make_ticket(customer, attachments=[png(), upload(name, content)])
    assert name in str(excinfo.value.message_dict["attachments"])
    assert counts() == before and media_files() == files


@pytest.mark.django_db
def test_empty_file_is_refused(customer):
    with pytest.raises(ValidationError) as excinfo:
        make_ticket(customer, attachments=[upload("empty.txt", b"")])
    assert "empty" in str(excinfo.value.message_dict["attachments"])


@pytest.mark.django_db
def test_too_many_files_are_refused(customer, settings):
    settings.HELPDESK_MAX_ATTACHMENTS_PER_REQUEST = 2
    with pytest.raises(ValidationError) as excinfo:
        make_ticket(customer, attachments=[png(), png(), png()])
    assert "attachments" in excinfo.value.message_dict


@pytest.mark.django_db
def test_rolled_back_attachment_leaves_no_file(customer, monkeypatch):
    """A failure after the files were written (here: the third attachment's row) removes them all."""
    files = media_files()
    before = counts()
    real_create = Attachment.objects.create
    calls = {"n": 0}

    def failing_create(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_create(**kwargs)

    monkeypatch.setattr(Attachment.objects, "create", failing_create)
    with pytest.raises(RuntimeError):
        make_ticket(customer, attachments=[png(), pdf(), text_file()])
    assert calls["n"] == 3
    assert counts() == before
    assert media_files() == files


@pytest.mark.django_db
def test_outer_rollback_removes_files_of_inner_services(customer, agent):
    ticket = make_ticket(customer)
    files = media_files()

    class Abort(Exception):
        pass

    from tickets.attachments import atomic_with_files

    with pytest.raises(Abort), atomic_with_files():
        services.message_add(actor=agent, ticket=ticket, body="With a file", attachments=[png()])
        assert len(media_files()) == len(files) + 1
        raise Abort
    assert media_files() == files


@pytest.mark.django_db
def test_customer_cannot_see_attachment_on_internal_note(ticket, agent, customer):
    from tickets import selectors

    services.message_add(actor=agent, ticket=ticket, body="Internal screenshot", internal=True, attachments=[png()])
    assert not selectors.attachments_for(customer, ticket).exists()
    assert selectors.attachments_for(agent, ticket).count() == 1


# --- claims ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_makes_open_ticket_in_progress(ticket, team_agent):
    services.ticket_claim(actor=team_agent, ticket=ticket)
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status) == (team_agent.pk, Status.IN_PROGRESS)


@pytest.mark.django_db
def test_second_claim_conflicts_unless_admin_forces(ticket, agent, team_agent, admin):
    services.ticket_claim(actor=team_agent, ticket=ticket)
    before = TicketEvent.objects.count()
    with pytest.raises(Conflict) as excinfo:
        services.ticket_claim(actor=agent, ticket=ticket)
    assert "Tom Billing" in excinfo.value.message
    with pytest.raises(Conflict):
        services.ticket_claim(actor=agent, ticket=ticket, force=True)  # only admins may force
    assert TicketEvent.objects.count() == before
    services.ticket_claim(actor=admin, ticket=ticket, force=True)
    ticket.refresh_from_db()
    assert ticket.assignee_id == admin.pk


@pytest.mark.django_db(transaction=True)
def test_claim_race_has_one_winner(customer, agent, admin):
    """Two agents on two connections claim one ticket at the same instant: exactly one wins.

    On PostgreSQL the row lock decides; on SQLite the IMMEDIATE transaction's write lock does.
    """
    second = account_services.user_create(
        email="al2@desk.test", name="Second Agent", password="x-Strong-pass-1", role="agent"
    )
    for _ in range(5):
        ticket = make_ticket(customer)
        barrier = threading.Barrier(2)
        results: list[str] = []

        def claim(actor_pk: int, ticket=ticket, barrier=barrier, results=results) -> None:
            try:
                actor = User.objects.get(pk=actor_pk)
                barrier.wait()
                services.ticket_claim(actor=actor, ticket=Ticket.objects.get(pk=ticket.pk))
                results.append("won")
            except Conflict:
                results.append("conflict")
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(pk,)) for pk in (agent.pk, second.pk)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == ["conflict", "won"]
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1


# --- bulk --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_update_is_all_or_nothing(customer, agent, team_agent, billing_team):
    tickets = [make_ticket(customer, subject=f"Bulk ticket {i}") for i in range(5)]
    closed = _ticket_in(Status.CLOSED, customer, agent)
    before = counts()
    with pytest.raises(BulkUpdateFailed) as excinfo:
        services.ticket_bulk_update(
            actor=agent,
            ticket_ids=[t.pk for t in tickets] + [closed.pk, 999_999],
            changes={"priority": "urgent", "add_tags": ["bulk"]},
        )
    assert set(excinfo.value.failures) == {closed.pk, 999_999}
    assert counts() == before
    assert not Ticket.objects.filter(priority="urgent").exists()
    services.ticket_bulk_update(
        actor=agent, ticket_ids=[t.pk for t in tickets], changes={"priority": "urgent", "team": billing_team}
    )
    assert Ticket.objects.filter(priority="urgent", team=billing_team).count() == 5
    assert TicketEvent.objects.filter(kind=EventKind.PRIORITY_CHANGED).count() == 5


@pytest.mark.django_db
def test_bulk_update_hides_tickets_the_agent_cannot_see(customer, team_agent):
    unrouted = make_ticket(customer)
    with pytest.raises(BulkUpdateFailed) as excinfo:
        services.ticket_bulk_update(actor=team_agent, ticket_ids=[unrouted.pk], changes={"priority": "low"})
    assert excinfo.value.failures == {unrouted.pk: "no such ticket"}


@pytest.mark.django_db
def test_claim_next_skips_assigned(customer, agent):
    first, second = make_ticket(customer, subject="First ticket"), make_ticket(customer, subject="Second ticket")
    assert services.claim_next(actor=agent).pk == first.pk
    assert services.claim_next(actor=agent).pk == second.pk
    assert services.claim_next(actor=agent) is None


# --- people leave, history stays -----------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_an_agent_keeps_tickets_messages_and_history(ticket, agent):
    services.ticket_claim(actor=agent, ticket=ticket)
    services.message_add(actor=agent, ticket=ticket, body="On it.")
    counts_before = counts()
    agent.delete()
    assert counts() == counts_before
    message = Message.objects.filter(ticket=ticket).latest("id")
    assert (message.author_id, message.author_name) == (None, "Alice Agent")
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).latest("id")
    assert (event.actor_id, event.actor_name) == (None, "Alice Agent")
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


@pytest.mark.django_db
def test_deleting_a_requester_is_refused_while_they_have_tickets(ticket, customer):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        customer.delete()
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.django_db
def test_admin_deletes_ticket_with_its_files(customer, admin):
    ticket = make_ticket(customer, attachments=[png()])
    name = Attachment.objects.get(ticket=ticket).file.name
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    assert (root / name).exists()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
        services.ticket_delete(actor=admin, ticket=ticket)
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not (root / name).exists()
    assert os.path.isdir(root)


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["ADA@ACME.TEST", "ａｄａ@acme.test", " Ada@Acme.Test "])
def test_a_requester_or_collaborator_given_by_address_is_the_account_it_means(agent, customer, ticket, spelling):
    """Every spelling of an address that means Ada's account files for Ada and shares with Ada
    (one normal form, accounts.addresses); a look-alike never lands on her account."""
    created = services.ticket_create(
        actor=agent,
        subject="On behalf of Ada",
        description="Filed by phone: Ada could not sign in today.",
        requester={"email": spelling},
    )
    assert created.requester_id == customer.pk


@pytest.mark.django_db
def test_a_look_alike_address_is_not_the_account(agent, ticket, acme):
    """PostgreSQL's case-insensitive match folds ``ı`` onto ``I``: before, sharing a ticket with
    ``kırstin@acme.test`` (dotless ı) added Kirstin's account on PostgreSQL and made a new one on
    SQLite. Now the address means no account on either, and is refused as an address."""
    from django.core.exceptions import ValidationError

    from accounts import services as account_services

    kirstin = account_services.user_create(email="kirstin@acme.test", name="Kirstin", organization=acme)
    with pytest.raises(ValidationError):
        services.collaborator_add(actor=agent, ticket=ticket, email="kırstin@acme.test")
    assert not ticket.collaborators.filter(pk=kirstin.pk).exists()
