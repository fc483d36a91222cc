"""The search syntax parser (``tickets.zendesk.search_query.parse``) on its own: tokens, quoted
phrases and values, operators, negation, and the errors a person gets for what it cannot read."""

from __future__ import annotations

import pytest

from tickets.zendesk.search_query import MAX_LENGTH, MAX_TERMS, QueryError, Term, parse


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", []),
        ("   ", []),
        ("printer", [Term(None, ":", "printer")]),
        ("printer jam", [Term(None, ":", "printer"), Term(None, ":", "jam")]),
        ('"printer jam"', [Term(None, ":", "printer jam")]),
        ('-"paper tray"', [Term(None, ":", "paper tray", negated=True)]),
        ("-spam", [Term(None, ":", "spam", negated=True)]),
        ("type:ticket", [Term("type", ":", "ticket")]),
        ("TYPE:ticket", [Term("type", ":", "ticket")]),
        ("status:open", [Term("status", ":", "open")]),
        ("status<solved", [Term("status", "<", "solved")]),
        ("status<=pending", [Term("status", "<=", "pending")]),
        ("status>new", [Term("status", ">", "new")]),
        ("status>=hold", [Term("status", ">=", "hold")]),
        ("priority:high", [Term("priority", ":", "high")]),
        ("priority>normal", [Term("priority", ">", "normal")]),
        ("assignee:me", [Term("assignee", ":", "me")]),
        ("requester:ada@acme.test", [Term("requester", ":", "ada@acme.test")]),
        ('requester:"Ada Customer"', [Term("requester", ":", "Ada Customer")]),
        ("tags:vip", [Term("tags", ":", "vip")]),
        ("-tags:spam", [Term("tags", ":", "spam", negated=True)]),
        ("created>2026-01-01", [Term("created", ">", "2026-01-01")]),
        ("updated<4hours", [Term("updated", "<", "4hours")]),
        ("created>=2026-01-01T09:00:00Z", [Term("created", ">=", "2026-01-01T09:00:00Z")]),
        ("order_by:created sort:asc", [Term("order_by", ":", "created"), Term("sort", ":", "asc")]),
        (
            'type:ticket status<solved priority:high "free text" toner -tags:x',
            [
                Term("type", ":", "ticket"),
                Term("status", "<", "solved"),
                Term("priority", ":", "high"),
                Term(None, ":", "free text"),
                Term(None, ":", "toner"),
                Term("tags", ":", "x", negated=True),
            ],
        ),
        ("status:open status:pending", [Term("status", ":", "open"), Term("status", ":", "pending")]),
        ("a-b", [Term(None, ":", "a-b")]),
        ("#42", [Term(None, ":", "#42")]),
        ("über café", [Term(None, ":", "über"), Term(None, ":", "café")]),
        ('subject:"cannot print"', [Term("subject", ":", "cannot print")]),
        ("group:none", [Term("group", ":", "none")]),
        ('""', []),
    ],
)
def test_parse(text, terms):
    assert parse(text) == terms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour:blue", "Unknown search keyword 'colour'"),
        ("http://example.com", "Unknown search keyword 'http'"),
        ("status:", "'status:' needs a value"),
        ('"unclosed phrase', "Close the quoted phrase"),
        ('subject:"unclosed', "Close the quoted phrase"),
        ("tags>vip", "'tags' takes ':' only"),
        ("assignee<me", "'assignee' takes ':' only"),
        ("-type:ticket", "'type' cannot be negated"),
        ("-order_by:created", "'order_by' cannot be negated"),
        ("x" * (MAX_LENGTH + 1), "at most"),
        (" ".join(["word"] * (MAX_TERMS + 1)), "at most"),
    ],
)
def test_parse_refuses_with_a_clear_message(text, message):
    with pytest.raises(QueryError) as error:
        parse(text)
    assert message in str(error.value)
