"""Record ids as people type them: in URLs, query strings and forms."""

from __future__ import annotations

#: The largest id we accept: ids past PostgreSQL's bigint are refused while parsing, never sent
#: to the database (where they would be an error, not "no such row").
MAX_ID = 999_999_999_999_999_999


def parse_id(value: object) -> int | None:
    """``value`` as a positive id (digits only, at most ``MAX_ID``), or None."""
    text = str(value).strip()
    if text.isdigit() and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None
