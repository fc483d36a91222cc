"""Why an inbound message ended as it did, in each reader's language.

Mail is processed with nobody to read the outcome, so the words cannot be chosen then. A reason is
kept twice on the message: ``InboundMessage.reason`` holds the sentences in English (the mail
commands, the log and a search of the table read that), and ``reason_parts`` each sentence's
untranslated text and values, which ``shown`` puts into the language of whoever reads it — the
mailbox pages of the settings area and the back office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_noop


@dataclass(frozen=True)
class Said:
    """One sentence: ``text`` is a msgid with ``%(name)s`` places (marked with ``gettext_noop``
    where it is written, so ``make messages`` finds it), ``values`` fill them in every language."""

    text: str
    values: dict[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        return self.text % self.values

    def part(self) -> dict[str, Any]:
        return {"text": self.text, "values": self.values}

    def __str__(self) -> str:
        return self.english()


def english(said: list[Said]) -> str:
    return " ".join(s.english() for s in said).strip()


def parts(said: list[Said]) -> list[dict[str, Any]]:
    return [s.part() for s in said]


def shown(parts: list[dict[str, Any]] | None, stored: str) -> str:
    """The reason in the active language; ``stored`` (the English text) when the message has no
    parts (stored before they were kept) or a part no longer reads."""
    if not parts:
        return stored
    try:
        return " ".join(gettext(part["text"]) % part.get("values", {}) for part in parts).strip()
    except (KeyError, TypeError, ValueError):  # a part written by another version of the text
        return stored


def too_large(size: int, limit: int) -> Said:
    return Said(
        gettext_noop("The message is %(size)s; messages can be at most %(limit)s."),
        {"size": str(filesizeformat(size)), "limit": str(filesizeformat(limit))},
    )
