"""The portal in a real browser (Playwright + Debian Chromium): the flows a customer runs.

Set HELPDESK_SCREENSHOT_DIR to keep desktop (1280 px) and phone (375 px) screenshots of every
page visited; at phone width every page is also checked not to scroll sideways.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import expect

from conftest import sign_in
from tickets import services
from tickets.models import Attachment, Ticket
from tickets.tests.files import exe_bytes, pdf_bytes, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test stores files in its own directory, so none are left in the shared one."""
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "location": str(tmp_path / "media")}},
    }


PHONE = {"width": 375, "height": 812}


@pytest.fixture
def live_stream(page):
    """The live-update stream (static/js/live.js) stays shut unless a test switches it on: each
    stream polls the test server for up to 25 s, which other tests need not wait out."""
    state = {"on": False}

    def handle(route):
        if state["on"]:
            route.continue_()
        else:
            route.abort()

    page.route("**/live/events/**", handle)
    return state


@pytest.fixture(autouse=True)
def _quiet_live_stream(live_stream):
    return live_stream


def check_layout(page, name: str) -> None:
    """At phone width nothing may stick out sideways; keep screenshots when asked to."""
    folder = os.environ.get("HELPDESK_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if folder:
        page.screenshot(path=f"{folder}/{name}-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 375px"


def stored_files() -> set[str]:
    root = Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def file_payload(name: str, content: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": content}


def test_customer_journey(page, agent, live_stream):
    # Sign up.
    page.goto("/accounts/login/")
    check_layout(page, "login")
    page.get_by_role("link", name="Create an account").click()
    check_layout(page, "signup")
    page.get_by_label("Your name").fill("Greta Newcomer")
    page.get_by_label("Email").fill("greta@example.test")
    page.get_by_role("button", name="Create account").click()
    assert "Check your email" in page.content()
    # The confirmation link from the mail (the live server shares this process's outbox).
    link = re.search(r"http://[^/\s]+(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    check_layout(page, "signup-confirm")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password again").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/portal/$"))
    assert "You have no tickets yet" in page.content()
    check_layout(page, "my-tickets-empty")

    # File a ticket with two attachments.
    page.get_by_role("link", name="File your first ticket").click()
    page.get_by_label("Subject").fill("Invoice PDF will not open")
    page.get_by_label("Describe the problem").fill("The March invoice opens as a blank page in every viewer I tried.")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Category").select_option("billing")
    page.get_by_label("Attachments").set_input_files(
        [
            file_payload("screen.png", png_bytes(40, 30), "image/png"),
            file_payload("invoice.pdf", pdf_bytes(), "application/pdf"),
        ]
    )
    assert "screen.png" in page.locator(".dropzone-list").inner_text()  # the script lists chosen files
    check_layout(page, "new-ticket")
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get(subject="Invoice PDF will not open")
    assert ticket.requester.email == "greta@example.test"
    assert sorted(ticket.attachments.values_list("filename", flat=True)) == ["invoice.pdf", "screen.png"]
    expect(page.get_by_role("link", name="screen.png").first).to_be_visible()

    # It is in My tickets.
    page.get_by_role("link", name="My tickets").first.click()
    row = page.locator(".ticket-row", has_text="Invoice PDF will not open")
    expect(row).to_be_visible()
    assert "High priority" in row.inner_text() and "New reply" not in row.inner_text()

    # An agent answers; the customer sees it flagged, then opens it.
    live_stream["on"] = True
    page.reload()
    services.message_add(actor=agent, ticket=ticket, body="Thanks! Could you try **downloading** it again?")
    # No reload after the reply: the page listens for changes (static/js/live.js) and refreshes its list.
    row.locator(".new-reply").wait_for()
    live_stream["on"] = False
    check_layout(page, "my-tickets")
    row.get_by_role("link", name="Invoice PDF will not open").click()
    expect(page.get_by_text("Could you try")).to_be_visible()
    expect(page.locator(".message-body strong", has_text="downloading")).to_be_visible()

    # Reply, mark solved, reopen.
    page.get_by_label("Your reply").fill("Same result after downloading again, sorry.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Same result after downloading again")).to_be_visible()
    check_layout(page, "ticket")
    page.get_by_role("button", name="Mark as solved").click()
    expect(page.locator(".ticket-badges .badge-status-solved")).to_be_visible()
    expect(page.get_by_text("Greta Newcomer changed the status from Open to Solved")).to_be_visible()
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator(".ticket-badges .badge-status-open")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.messages.count() == 3

    # The file downloads through the checked view.
    with page.expect_download() as download:
        page.get_by_role("link", name="invoice.pdf").first.click()
    assert download.value.suggested_filename == "invoice.pdf"

    # Profile page.
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("button", name="Make a token").click()
    assert page.get_by_label("Your token").input_value()
    check_layout(page, "profile")


def test_other_customer_gets_404(page, ticket, customer, other_customer):
    services.message_add(actor=customer, ticket=ticket, body="Screenshot attached", attachments=[_png_upload()])
    attachment = Attachment.objects.get(ticket=ticket)
    sign_in(page, other_customer.email)
    assert page.goto(f"/portal/tickets/{ticket.pk}/").status == 404
    assert page.goto(f"/attachments/{attachment.pk}/download/").status == 404
    page.goto("/portal/")
    assert ticket.subject not in page.content()


def test_bad_files_are_refused_with_a_message(page, customer, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1000
    before = stored_files()
    sign_in(page, customer.email)
    page.goto("/portal/tickets/new/")
    page.get_by_label("Subject").fill("Two odd files")
    page.get_by_label("Describe the problem").fill("These files should both be refused by the server.")
    page.get_by_label("Attachments").set_input_files(
        [file_payload("huge.png", png_bytes(200, 200) + b"\x00" * 2000, "image/png")]
    )
    page.get_by_role("button", name="Send ticket").click()
    errors = page.locator("#id_attachments_error").inner_text()
    assert "huge.png is" in errors and "files can be at most 1000" in errors
    assert page.get_by_label("Subject").input_value() == "Two odd files"
    check_layout(page, "new-ticket-errors")

    page.get_by_label("Attachments").set_input_files([file_payload("invoice.pdf", exe_bytes(), "application/pdf")])
    page.get_by_role("button", name="Send ticket").click()
    errors = page.locator("#id_attachments_error").inner_text()
    assert "invoice.pdf is not a file type we accept" in errors and "executable" in errors
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files() == before


def test_closed_ticket_offers_a_follow_up(page, ticket, customer, agent):
    services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
    services.ticket_change_status(actor=agent, ticket=ticket, status="closed")
    sign_in(page, customer.email)
    page.goto(f"/portal/tickets/{ticket.pk}/")
    assert page.get_by_role("button", name="Send reply").count() == 0
    check_layout(page, "ticket-closed")
    page.get_by_role("link", name="Open a follow-up ticket").click()
    assert page.get_by_label("Subject").input_value() == f"Follow-up to #{ticket.pk}: {ticket.subject}"
    page.get_by_label("Describe the problem").fill("The download link broke again after the last update.")
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.metadata == {"follow_up_of": ticket.pk}


def test_sign_in_throttle_says_what_to_do(page, customer, password):
    page.goto("/accounts/login/")
    for _ in range(5):
        page.get_by_label("Email").fill(customer.email)
        page.get_by_label("Password").fill("not-my-password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Too many failed sign-in attempts")).to_be_visible()
    check_layout(page, "login-throttled")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Too many failed sign-in attempts")).to_be_visible()
    assert "/portal/" not in page.url


def test_files_can_be_dropped_on_the_form(page, customer):
    sign_in(page, customer.email)
    page.goto("/portal/tickets/new/")
    page.get_by_label("Attachments").set_input_files([file_payload("first.png", png_bytes(), "image/png")])
    # Drop a second file, as a person dragging it from their desktop would.
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["%PDF-1.4 dropped"], "dropped.pdf", {type: "application/pdf"}));
            const zone = document.querySelector(".dropzone");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    names = page.locator(".dropzone-list li").all_inner_texts()
    assert [name.split("\n")[0].split("\t")[0] for name in names] == ["first.png", "dropped.pdf"]
    assert names[1].endswith("16 bytes")  # a small file in bytes, not "1 KB"
    assert page.evaluate("document.querySelector('#id_attachments').files.length") == 2


def _png_upload():
    from tickets.tests.files import upload

    return upload("shot.png", png_bytes())
