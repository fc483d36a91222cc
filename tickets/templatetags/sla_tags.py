"""``{% sla_due ticket.sla_breach_at %}``: a breach time worded and coloured (``tickets.sla.display``)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import mark_safe

from tickets.sla import display

register = template.Library()


@register.simple_tag(takes_context=True)
def sla_due(context, at):
    """Nothing for nothing due; else ``<time>`` with the words and the tone's class. ``now`` is
    read once per page (``context["sla_now"]`` when the view gives it)."""
    return sla_due_html(at, context.get("sla_now"))


def sla_due_html(at, now=None, words=None):
    """``sla_due`` for Python and Jinja2 callers (``tickets.jinja``); ``words``: a
    ``display.Wording`` made once for a list's rows."""
    found = display.due(at, now, words)
    if found is None:
        return ""
    # Written with ``html.escape`` (what ``format_html`` escapes with) rather than ``format_html``,
    # whose lazy-argument checks cost more than the rest: the queue writes this on every row.
    return mark_safe(  # noqa: S308 - every part escaped here
        f'<time class="sla-due sla-{found.tone}" datetime="{escape(found.at.isoformat())}"'
        f' title="{escape(found.at.strftime("%Y-%m-%d %H:%M %Z"))}">{escape(found.text)}</time>'
    )
