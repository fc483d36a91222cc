"""The signed reply address and Message-IDs (tickets.notifications.mailthread), and the rule that
the ticket core does not depend on the email channel."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tickets.notifications import mailthread

ROOT = Path(__file__).resolve().parents[3]


def test_a_reply_address_names_its_ticket_and_no_other(settings):
    address = mailthread.reply_address(123)
    local, _, domain = address.partition("@")
    assert domain == "localhost" and local.startswith("support+t123.")
    assert mailthread.ticket_id_from_reply_address(address) == 123
    assert mailthread.ticket_id_from_reply_address(address.upper()) == 123  # case is folded
    signature = local.rsplit(".", 1)[1]
    assert mailthread.ticket_id_from_reply_address(f"support+t124.{signature}@localhost") is None
    assert mailthread.ticket_id_from_reply_address("support+t123.0000000000@localhost") is None
    assert mailthread.ticket_id_from_reply_address("support@localhost") is None
    settings.SECRET_KEY = "another-installation-entirely"
    assert mailthread.ticket_id_from_reply_address(address) is None


def test_message_ids_are_random_and_read_back_without_brackets():
    first, second = mailthread.new_message_id(5), mailthread.new_message_id(5)
    assert first != second and first.startswith("t5.")
    assert mailthread.message_ids(f"<{first}>\r\n <{second}>") == [first, second]
    assert mailthread.clean_message_id(" <abc@x.test> ") == "abc@x.test"
    assert mailthread.clean_message_id("no brackets@x.test") == ""


@pytest.mark.parametrize(
    "relative",
    ["tickets/services", "tickets/permissions", "tickets/notifications", "tickets/selectors", "tickets/views"],
)
def test_the_ticket_core_does_not_import_the_email_channel(relative):
    """``tickets.mail`` builds on the core; the core (its reply addresses and Message-IDs live in
    ``tickets.notifications.mailthread``) never reaches into it."""
    offenders = []
    for path in sorted((ROOT / relative).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in names if n.startswith("tickets.mail")]
    assert offenders == []
