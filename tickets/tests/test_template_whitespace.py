"""Whitespace that the template formatter (djLint) must not add: the HTML emails show the message body
with `white-space: pre-wrap`, so any indentation or newline around it would show in the mail."""

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

BODY = "First line\n  indented second line"


@pytest.mark.parametrize("template", ["agent_replied", "requester_replied", "ticket_created"])
def test_email_body_quote_holds_the_body_exactly(template):
    ticket = SimpleNamespace(pk=7, status="open", requester=SimpleNamespace(name="Ann", email="ann@desk.test"))
    html = render_to_string(
        f"emails/{template}.html",
        {
            "ticket": ticket,
            "subject": "Printer",
            "status_label": "Open",
            "ticket_url": "http://testserver/t/7/",
            "actor_name": "Bob",
            "recipient": SimpleNamespace(get_short_name="Ann"),
            "message": SimpleNamespace(body=BODY),
        },
    )
    assert f'white-space: pre-wrap;">{BODY}</blockquote>' in html
