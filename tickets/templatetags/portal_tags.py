"""Template helpers of the customer portal: history entries as sentences."""

from __future__ import annotations

from django import template

from tickets.history import sentence

register = template.Library()


@register.filter
def event_sentence(event) -> str:
    """One history entry in words, e.g. "Alice Agent changed the status from Open to Pending"."""
    return sentence(event)
