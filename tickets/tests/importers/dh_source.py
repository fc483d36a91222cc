"""A django-helpdesk desk to import from, made by the real package (run inside its own virtualenv).

    DH_SOURCE_DATABASE=postgres://...|sqlite:////path DH_SOURCE_MEDIA=/dir python dh_source.py

Migrates django-helpdesk's tables into the empty database, fills them through django-helpdesk's
own models (queues, people, tickets in every status, public and private follow-ups, ticket
changes, attachments with real bytes, CCs) and prints a JSON manifest of every row it made, read
back from the database, for the tests to compare the import with. Imports nothing from this
repository: the name ``helpdesk`` here is django-helpdesk's package, so this file must run with
neither the repository root on ``sys.path`` nor it as the working directory. Models are looked up
by name (``apps.get_model``) so static checkers of this repository never resolve them.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
import zlib
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit


def _database(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


def configure() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="throwaway-django-helpdesk-source",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.sites",
            "django.contrib.humanize",
            "rest_framework",
            "helpdesk",
        ],
        DATABASES={"default": _database(os.environ["DH_SOURCE_DATABASE"])},
        USE_TZ=True,
        TIME_ZONE="UTC",
        LANGUAGE_CODE="en-us",
        SITE_ID=1,
        MEDIA_ROOT=os.environ["DH_SOURCE_MEDIA"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        HELPDESK_TEAMS_MODE_ENABLED=False,
    )
    django.setup()


def png(width: int = 3, height: int = 2) -> bytes:
    """A small, valid PNG (grey pixels), made here so the bytes are real and known."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([128, 128, 128]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def generate() -> None:
    from django.apps import apps
    from django.core.files.base import ContentFile

    user_model = apps.get_model("auth", "User")
    queue_model = apps.get_model("helpdesk", "Queue")
    ticket_model = apps.get_model("helpdesk", "Ticket")
    followup_model = apps.get_model("helpdesk", "FollowUp")
    change_model = apps.get_model("helpdesk", "TicketChange")
    attachment_model = apps.get_model("helpdesk", "FollowUpAttachment")
    cc_model = apps.get_model("helpdesk", "TicketCC")

    base = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)

    def at(days: float) -> datetime:
        return base + timedelta(days=days)

    def person(username, email, first, last, *, staff=False, superuser=False, active=True):
        user = user_model(
            username=username,
            email=email,
            first_name=first,
            last_name=last,
            is_staff=staff,
            is_superuser=superuser,
            is_active=active,
        )
        user.set_password("source-password-never-imported")
        user.save()
        return user

    alice = person("alice", "alice@support.example", "Alice", "Agent", staff=True)
    root = person("root", "root@support.example", "Root", "Admin", staff=True, superuser=True)
    bob = person("bob", "bob@support.example", "Bob", "Former", staff=True, active=False)
    person("nomail", "", "", "", staff=True)
    carol = person("carol", "Carol@Customer.example", "Carol", "Customer")

    billing = queue_model.objects.create(title="Billing", slug="billing", email_address="billing@support.example")
    tech = queue_model.objects.create(title="Technical Support", slug="tech", email_address="tech@support.example")

    def ticket(title, queue, *, day, submitter, description, status=1, priority=3, owner=None, on_hold=False):
        t = ticket_model.objects.create(
            title=title,
            queue=queue,
            submitter_email=submitter,
            description=description,
            status=status,
            priority=priority,
            assigned_to=owner,
            on_hold=on_hold,
        )
        ticket_model.objects.filter(pk=t.pk).update(created=at(day))
        return t

    def followup(t, *, day, comment, public=True, user=None, title="Comment", new_status=None, changes=()):
        # A fresh copy: FollowUp.save saves its ticket whole, which must not undo the updates above.
        f = followup_model(
            ticket=ticket_model.objects.get(pk=t.pk),
            date=at(day),
            comment=comment,
            public=public,
            user=user,
            title=title,
            new_status=new_status,
        )
        f.save()
        for field, old, new in changes:
            change_model.objects.create(followup=f, field=field, old_value=old, new_value=new)
        return f

    def attach(f, filename, content: bytes, mime: str):
        a = attachment_model(followup=f, filename=filename, mime_type=mime, size=len(content))
        a.file.save(filename, ContentFile(content), save=False)
        a.save()
        return a

    # 1. Open, critical, assigned: a reply, an internal note with a log, the customer's screenshot.
    text = "The printer in room 4 started smoking when I printed the quarterly report."
    t1 = ticket("Printer is on fire", tech, day=0, submitter="dave@customer.example", description=text, priority=1)
    followup(t1, day=0, comment=text, title="Ticket Opened")
    followup(
        t1,
        day=0.1,
        comment="",
        user=alice,
        title="Assigned to alice",
        changes=[("Owner", "", "alice")],
    )
    ticket_model.objects.filter(pk=t1.pk).update(assigned_to=alice)
    followup(t1, day=0.2, comment="Please unplug it and step away; a technician is on the way.", user=alice)
    note = followup(t1, day=0.3, comment="Vendor says model X200 has a known fan fault.", public=False, user=alice)
    attach(note, "printer.log", b"12:00 fan speed 0 rpm\n12:01 temperature 97C\n", "text/plain")
    reply = followup(t1, day=0.5, comment="Unplugged. Here is a photo of the smoke damage.")
    attach(reply, "damage.png", png(), "image/png")

    # 2. Reopened: solved by an agent, reopened by the customer's reply (carol has a login).
    text = "My March invoice charges me twice for the same seat license."
    t2 = ticket("Invoice total is wrong", billing, day=1, submitter="carol@customer.example", description=text)
    followup(t2, day=1, comment=text, title="Ticket Opened")
    followup(
        t2,
        day=1.5,
        comment="Refunded the duplicate seat.",
        user=alice,
        title="Resolved",
        new_status=3,
        changes=[("Status", "Open", "Resolved")],
    )
    followup(
        t2,
        day=2,
        comment="The refund never arrived.",
        user=carol,
        title="Reopened",
        new_status=2,
        changes=[("Status", "Resolved", "Reopened")],
    )
    ticket_model.objects.filter(pk=t2.pk).update(status=2)

    # 3. Resolved, with title, priority and owner changes.
    text = "The password reset email links to a page that says the link expired."
    t3 = ticket("Password reset", tech, day=3, submitter="erin@customer.example", description=text, priority=3)
    followup(t3, day=3, comment=text, title="Ticket Opened")
    followup(
        t3,
        day=3.2,
        comment="",
        user=root,
        title="Updated",
        changes=[
            ("Title", "Password reset", "Password reset link expired"),
            ("Priority", "3", "2"),
            ("Owner", "Unassigned", "root"),
        ],
    )
    followup(
        t3,
        day=3.5,
        comment="Links now last 24 hours.",
        user=root,
        title="Resolved",
        new_status=3,
        changes=[("Status", "Open", "Resolved")],
    )
    ticket_model.objects.filter(pk=t3.pk).update(
        title="Password reset link expired", priority=2, assigned_to=root, status=3
    )

    # 4. Closed after a queue move; handled by an agent who has since left (inactive).
    text = "Please cancel my subscription at the end of this month."
    t4 = ticket("Cancel my subscription", tech, day=4, submitter="dave@customer.example", description=text, priority=4)
    followup(t4, day=4, comment=text, title="Ticket Opened")
    followup(t4, day=4.1, comment="", user=bob, title="Moved", changes=[("Queue", str(tech.pk), str(billing.pk))])
    followup(
        t4,
        day=4.4,
        comment="Cancelled; you keep access until the 31st.",
        user=bob,
        title="Closed",
        new_status=4,
        changes=[("Status", "Open", "Closed")],
    )
    ticket_model.objects.filter(pk=t4.pk).update(queue=billing, status=4, assigned_to=bob)

    # 5. Duplicate, merged into ticket 2.
    text = "I was charged twice this month, please check my invoice."
    t5 = ticket("Charged twice", billing, day=5, submitter="carol@customer.example", description=text, priority=5)
    followup(t5, day=5, comment=text, title="Ticket Opened")
    followup(
        t5,
        day=5.1,
        comment="Same as the invoice ticket.",
        user=alice,
        new_status=5,
        changes=[("Status", "Open", "Duplicate")],
    )
    ticket_model.objects.filter(pk=t5.pk).update(status=5, merged_to=t2)

    # 6. On hold while waiting on a vendor; a due date change has no counterpart here.
    text = "The staging server will not boot after the firmware update."
    t6 = ticket("Server waiting on vendor", tech, day=6, submitter="frank@customer.example", description=text)
    followup(t6, day=6, comment=text, title="Ticket Opened")
    followup(
        t6,
        day=6.2,
        comment="Waiting for the vendor's replacement board.",
        user=alice,
        public=False,
        title="Ticket placed on hold",
        changes=[("On Hold", "False", "True"), ("Due on", "", "2023-03-20 00:00:00+00:00")],
    )
    ticket_model.objects.filter(pk=t6.pk).update(on_hold=True)

    # 7. A two-letter title, no submitter address, no follow-up at all.
    ticket("Hi", billing, day=7, submitter="", description="Call me back please.")

    # 8. A title longer than the 150 characters a subject may have here.
    long_title = "Very long title " + "about a very long problem " * 7
    text = "Everything in the title."
    t8 = ticket(long_title.strip(), tech, day=8, submitter="grace@customer.example", description=text)
    followup(t8, day=8, comment=text, title="Ticket Opened")

    # 9. Files the desk refuses (markup) and a file missing from the media folder.
    text = "Our web page shows a blank screen; page source attached."
    t9 = ticket("Blank web page", tech, day=9, submitter="heidi@customer.example", description=text)
    opened = followup(t9, day=9, comment=text, title="Ticket Opened")
    attach(opened, "page.html", b"<html><body><script>alert(1)</script></body></html>", "text/html")
    lost = attach(opened, "lost.txt", b"this file is deleted from disk", "text/plain")
    os.remove(lost.file.path)
    attach(opened, "report.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")

    # 10. CCs: an address, a customer with a login, a staff member, the requester's own address.
    text = "Please keep my colleagues informed about the office move."
    t10 = ticket("Office move network", billing, day=10, submitter="ivan@customer.example", description=text)
    followup(t10, day=10, comment=text, title="Ticket Opened")
    cc_model.objects.create(ticket=t10, email="judy@customer.example", can_view=True)
    cc_model.objects.create(ticket=t10, user=carol, can_view=True, can_update=True)
    cc_model.objects.create(ticket=t10, user=alice)
    cc_model.objects.create(ticket=t10, email="Ivan@Customer.example")

    # 11-14. Ordinary tickets, so an interrupted import has some left to do.
    for n in range(11, 15):
        text = f"Ordinary question number {n} about the product manual."
        t = ticket(f"Question number {n}", billing, day=n, submitter=f"user{n}@customer.example", description=text)
        followup(t, day=n, comment=text, title="Ticket Opened")

    # DH_SOURCE_BULK=N more tickets (a reply and an internal note each): for timing an import.
    for n in range(int(os.environ.get("DH_SOURCE_BULK") or 0)):
        text = f"Bulk question {n}: the export button does nothing on the reports page."
        t = ticket(f"Bulk question {n}", tech, day=20, submitter=f"bulk{n % 200}@customer.example", description=text)
        followup(t, day=20, comment=text, title="Ticket Opened")
        followup(t, day=20.1, comment="Fixed in today's release; please try again.", user=alice)
        followup(t, day=20.2, comment="Customer on the old plan.", public=False, user=alice)

    # Last activity as django-helpdesk keeps it (FollowUp.save stamps "now").
    for t in ticket_model.objects.all():
        last = followup_model.objects.filter(ticket=t).order_by("-date").values_list("date", flat=True).first()
        ticket_model.objects.filter(pk=t.pk).update(modified=last or ticket_model.objects.get(pk=t.pk).created)


def manifest() -> dict:
    """Every row made, read back through django-helpdesk's models."""
    from django.apps import apps
    from django.conf import settings

    def iso(value):
        return value.isoformat() if value else None

    get = apps.get_model
    attachments = []
    for a in get("helpdesk", "FollowUpAttachment").objects.order_by("id"):
        path = os.path.join(settings.MEDIA_ROOT, a.file.name)
        data = open(path, "rb").read() if os.path.exists(path) else None  # noqa: SIM115
        attachments.append(
            {
                "id": a.id,
                "followup": a.followup_id,
                "filename": a.filename,
                "size": a.size,
                "sha256": hashlib.sha256(data).hexdigest() if data is not None else None,
                "on_disk": data is not None,
            }
        )
    return {
        "users": [
            {
                "id": u.id,
                "username": u.username,
                "email": u.email,
                "staff": u.is_staff,
                "superuser": u.is_superuser,
                "active": u.is_active,
            }
            for u in get("auth", "User").objects.order_by("id")
        ],
        "queues": [
            {"id": q.id, "title": q.title, "slug": q.slug} for q in get("helpdesk", "Queue").objects.order_by("id")
        ],
        "tickets": [
            {
                "id": t.id,
                "title": t.title,
                "queue": t.queue_id,
                "status": t.status,
                "priority": t.priority,
                "on_hold": t.on_hold,
                "submitter_email": t.submitter_email,
                "assigned_to": t.assigned_to_id,
                "description": t.description,
                "created": iso(t.created),
                "modified": iso(t.modified),
                "merged_to": t.merged_to_id,
            }
            for t in get("helpdesk", "Ticket").objects.order_by("id")
        ],
        "followups": [
            {
                "id": f.id,
                "ticket": f.ticket_id,
                "date": iso(f.date),
                "comment": f.comment,
                "public": f.public,
                "user": f.user_id,
            }
            for f in get("helpdesk", "FollowUp").objects.order_by("id")
        ],
        "changes": [
            {"id": c.id, "followup": c.followup_id, "field": c.field, "old": c.old_value, "new": c.new_value}
            for c in get("helpdesk", "TicketChange").objects.order_by("id")
        ],
        "attachments": attachments,
        "ccs": [
            {"id": c.id, "ticket": c.ticket_id, "email": c.email, "user": c.user_id}
            for c in get("helpdesk", "TicketCC").objects.order_by("id")
        ],
    }


def main() -> None:
    configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    generate()
    json.dump(manifest(), sys.stdout)


if __name__ == "__main__":
    main()
