"""The settings area in real Chromium (issue 14 §7): an admin invites a person, the person joins,
the admin takes their admin role away after a confirmation page, and the audit log tells it all."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import Role, User
from conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def test_invite_then_demote_with_confirmation_and_read_the_audit_log(
    chromium, live_server, admin, billing_team, password
):
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    newcomer_context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    newcomer_context.set_default_timeout(15_000)
    try:
        tab = context.new_page()
        sign_in(tab, admin.email, password)
        main_nav = tab.get_by_role("navigation", name="Main")
        main_nav.get_by_role("link", name="Settings").click()
        expect(tab.get_by_role("heading", name="People", level=1)).to_be_visible()
        expect(main_nav.get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
        sections = tab.get_by_role("navigation", name="Settings sections")

        # Invite Nina as an admin of the desk.
        sections.get_by_role("link", name="Invitations").click()
        tab.get_by_role("link", name="Invite an agent or admin").click()
        tab.get_by_label("Email").fill("nina@desk.test")
        tab.get_by_label("Role").select_option("admin")
        tab.get_by_role("button", name="Send invitation").click()
        expect(tab.get_by_text("Invitation sent to nina@desk.test")).to_be_visible()
        expect(tab.get_by_role("row", name=re.compile("nina@desk.test"))).to_contain_text("Waiting")
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@desk.test"]
        link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[0].body).group(0)

        # Nina accepts on her phone.
        newcomer = newcomer_context.new_page()
        newcomer.goto(link)
        newcomer.get_by_label("Your name").fill("Nina New")
        newcomer.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        newcomer.get_by_label("Password again").fill(NEW_PASSWORD)
        newcomer.get_by_role("button", name="Create my account").click()
        expect(newcomer.get_by_text("Welcome, Nina!")).to_be_visible()
        newcomer.goto("/settings/people/")
        expect(newcomer.get_by_role("heading", name="People", level=1)).to_be_visible()  # an admin now

        # The admin takes the admin role away; the page asks first.
        sections.get_by_role("link", name="People").click()
        tab.get_by_role("searchbox", name="Name or email").fill("nina")
        tab.get_by_role("button", name="Filter").click()
        tab.get_by_role("link", name="Nina New").click()
        tab.get_by_role("radio", name="Agent").check()
        tab.get_by_role("button", name="Save changes").click()
        expect(tab.get_by_role("heading", name="Take the admin role from Nina New?")).to_be_visible()
        assert User.objects.get(email="nina@desk.test").role == Role.ADMIN  # not yet
        tab.get_by_role("button", name="Yes, change the role").click()
        expect(tab.get_by_text("The changes to Nina New are saved.")).to_be_visible()
        assert User.objects.get(email="nina@desk.test").role == Role.AGENT

        # Nina's next page: the settings area is gone for her.
        response = newcomer.goto("/settings/people/")
        assert response is not None and response.status == 404

        # The audit log tells who did what.
        sections.get_by_role("link", name="Audit log").click()
        entries = tab.locator(".audit-entry")
        expect(entries.first).to_contain_text("Ray Admin")
        expect(entries.first).to_contain_text("Nina New")
        expect(entries.first).to_contain_text("Role:")
        expect(entries.first.locator("del")).to_have_text("Admin")
        expect(entries.first.locator("ins")).to_have_text("Agent")
        expect(entries.last).to_contain_text("nina@desk.test")
        expect(entries.last).to_contain_text("created")
        tab.get_by_label("Object").select_option("invitation")
        tab.get_by_role("button", name="Filter").click()
        expect(entries).to_have_count(1)
    finally:
        newcomer_context.close()
        context.close()
