"""Email addresses: the one normal form every part of the desk compares and stores.

An address is an account's identity: sign-up, invites, the admin, the people API, sign-in, the
sign-in throttle and password reset must all agree on which account an address means. Comparing
"case-insensitively" in two places (Python's ``lower()`` here, the database's ``UPPER()`` there)
let look-alikes through: PostgreSQL folds ``ı`` onto ``I`` and ``ſ`` onto ``S``, Python does not,
so each spelling opened a fresh throttle counter for the same account. Now every address is put
into one normal form — Unicode NFKC, then case-folded (``normalize_email``) — before it is
stored, looked up or counted, and lookups compare that form exactly (``UserManager.with_email``).
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


def normalize_email(value: object) -> str:
    """``value`` in the desk's normal form: NFKC (full-width letters, ``ſ``, ``K`` and ligatures
    become their plain letters; combining marks compose), case-folded, trimmed. Idempotent.

    Not a validator: ``accounts.services`` checks the result is a usable address. Anything that is
    not a string is the empty string."""
    if not isinstance(value, str):
        return ""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def local_part_is_ascii(address: str) -> bool:
    """Whether the part before the last ``@`` is plain ASCII. Django's validator lets ``ı`` (and,
    before folding, ``İ``, ``ſ``, ``K``) through by a quirk of ``[A-Z]`` with ``IGNORECASE``; no
    account may hold a look-alike of another account's address."""
    local, _, _ = address.rpartition("@")
    return local.isascii()


@dataclass
class NormalizeReport:
    """What ``normalize_stored_emails`` did: rows rewritten, and addresses it left alone because
    two or more users would share them (normal form -> their user ids) for an admin to resolve."""

    changed: int = 0
    collisions: dict[str, list[int]] = field(default_factory=dict)


def normalize_stored_emails(user_model: Any, invite_model: Any = None, *, using: str = "default") -> NormalizeReport:
    """Rewrite stored addresses into the normal form (the data migration ``0004`` and tests).

    Safe on a live database and on PostgreSQL and SQLite alike: it reads ids and addresses in
    batches, writes only rows whose address changes, one short statement each, and never merges
    accounts — when two users' addresses share a normal form both rows are left as they are and
    reported (logged as a warning), since choosing which account keeps the address is a person's
    decision. Invites have no uniqueness and are always normalised.
    """
    from django.db import IntegrityError, transaction

    report = NormalizeReport()
    by_form: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, email in user_model._base_manager.using(using).values_list("pk", "email").iterator(chunk_size=2000):
        by_form[normalize_email(email)].append((pk, email))
    for form, rows in by_form.items():
        if len(rows) > 1:
            report.collisions[form] = sorted(pk for pk, _ in rows)
            continue
        pk, email = rows[0]
        if email == form:
            continue
        try:
            with transaction.atomic(using=using):
                report.changed += user_model._base_manager.using(using).filter(pk=pk, email=email).update(email=form)
        except IntegrityError:  # a concurrent sign-up took the normal form meanwhile
            taken = user_model._base_manager.using(using).filter(email=form).values_list("pk", flat=True)
            report.collisions[form] = sorted({pk, *taken})
    if invite_model is not None:
        invites = invite_model._base_manager.using(using)
        for pk, email in invites.values_list("pk", "email").iterator(chunk_size=2000):
            form = normalize_email(email)
            if form != email:
                report.changed += invites.filter(pk=pk, email=email).update(email=form)
    for form, pks in report.collisions.items():
        log.warning(
            "Users %s have addresses that are one address in the normal form %r; left unchanged. "
            "Give all but one of them another address, then run the normalisation again.",
            pks,
            form,
        )
    return report
