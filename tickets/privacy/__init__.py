"""Data protection on the ticket side (README, "Data protection"): the ticket part of a person's
export and erasure (registered with ``accounts.privacy`` from ``TicketsConfig.ready``), and the
retention policy on old closed tickets (``retention``)."""

from __future__ import annotations


def register_part() -> None:
    from accounts.privacy import Part, register
    from tickets.privacy import erase, export

    register(Part("tickets", export=export.export, erase=erase.erase))
