"""The parts of the desk that hold data about a person, each with its export and its erasure.

``accounts`` sits below ``tickets`` and may not import it, so the ticket side adds its part from
``TicketsConfig.ready()`` (``register(Part("tickets", export=..., erase=...))``), as it adds its
settings sections. ``accounts.privacy.export`` and ``accounts.privacy.erase`` run every part in
order: the ticket side first (it still needs the person's old name and address to find them in
text), the account itself last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from accounts.models import User

#: The name every erased person is shown under, stored untranslated (like "System" in history).
DELETED_NAME = "Deleted user"
#: The domain of the placeholder addresses of erased people and of the desk's own accounts: a
#: reserved top-level domain (RFC 2606), so no mail can ever go there.
PLACEHOLDER_DOMAIN = "erased.invalid"


def placeholder_account(email: str, name: str) -> User:
    """One of the desk's own accounts (the author of automatic runs, the owner of anonymized
    tickets): made on first use, inactive, without a usable password."""
    user = User.objects.with_email(email).first()
    if user is None:
        user = User(email=email, name=name, is_active=False)
        user.set_unusable_password()
        user.save()
    return user


def placeholder_email(user: User) -> str:
    """The unique placeholder address an erased person keeps (unique by their id)."""
    return f"deleted-user-{user.pk}@{PLACEHOLDER_DOMAIN}"


@dataclass
class Bundle:
    """What an export collects: JSON sections and the files to pack beside them.

    A section of ``data`` may be an iterator: it is written as a JSON array item by item while the
    zip is written, so a long history never sits in memory whole; the counts it adds are complete
    once the zip is written. ``add_file`` takes a name inside the zip and a function that opens
    the stored file (read through the storage API when the zip is written, one file at a time)."""

    person: User
    data: dict[str, Any] = field(default_factory=dict)
    files: list[tuple[str, Callable[[], IO[bytes]]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add_file(self, arcname: str, opener: Callable[[], IO[bytes]]) -> None:
        self.files.append((arcname, opener))

    def count(self, what: str, number: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + number


@dataclass
class Erasure:
    """One person's erasure as every part sees it: who they were (to find them in text), what
    they become, who asks, and the counts each part adds for the audit entry."""

    person: User
    actor: User | None
    old_name: str
    old_email: str
    new_email: str
    erase_messages: bool
    counts: dict[str, int] = field(default_factory=dict)

    new_name: str = DELETED_NAME

    def count(self, what: str, number: int) -> None:
        if number:
            self.counts[what] = self.counts.get(what, 0) + number

    def scrub(self, text: str) -> str:
        """``text`` with the person's old address and full name replaced (case-insensitively)."""
        return scrub_text(text, [(self.old_email, self.new_email), (self.old_name, self.new_name)])


def scrub_text(text: str, replacements: list[tuple[str, str]]) -> str:
    import re

    for old, new in replacements:
        if old and len(old) >= 3 and old.lower() in text.lower():
            text = re.sub(re.escape(old), new.replace("\\", "\\\\"), text, flags=re.IGNORECASE)
    return text


def scrub_json(value: Any, scrub: Callable[[str], str]) -> Any:
    """``value`` (decoded JSON) with ``scrub`` applied to every string in it, keys left alone."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_json(item, scrub) for item in value]
    if isinstance(value, dict):
        return {key: scrub_json(item, scrub) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Part:
    name: str
    export: Callable[[Bundle], None]
    erase: Callable[[Erasure], None]


PARTS: list[Part] = []


def register(part: Part) -> None:
    """Add ``part`` before the account's own (registering a name twice replaces it: tests and
    ``ready()`` may run more than once)."""
    PARTS[:] = [existing for existing in PARTS if existing.name != part.name]
    PARTS.insert(0, part)


def parts() -> list[Part]:
    from accounts.privacy import account

    return [*PARTS, account.PART]
