"""Record ids as people type them: in URLs, query strings and forms."""

from __future__ import annotations

#: The largest id we accept: ids past PostgreSQL's bigint are refused while parsing, never sent
#: to the database (where they would be an error, not "no such row").
MAX_ID = 999_999_999_999_999_999


_MAX_DIGITS = len(str(MAX_ID))


def parse_id(value: object) -> int | None:
    """``value`` as a positive id (ASCII digits only, at most ``MAX_ID``), or None.

    The one way to read an id from text: ``str.isdigit()`` alone also accepts digits ``int()``
    refuses ("²") and numbers past ``int()``'s 4,300-digit limit, both a ValueError (a 500).
    """
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None
