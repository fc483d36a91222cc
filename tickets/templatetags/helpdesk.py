"""Template helpers shared by the portal and the agent workspace."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from tickets import history
from tickets.models import Priority, Status
from tickets.rendering import render_markdown

register = template.Library()


@register.simple_tag
def status_badge(status: str):
    """A coloured badge that also says the status in words (never colour alone)."""
    label = Status(status).label if status in Status.values else status
    return format_html('<span class="badge badge-status-{}">{}</span>', status, label)


@register.simple_tag
def priority_badge(priority: str):
    label = Priority(priority).label if priority in Priority.values else priority
    return format_html(
        '<span class="badge badge-priority-{}">{}</span>', priority, _("%(level)s priority") % {"level": label}
    )


@register.filter
def actor(event) -> str:
    """Who made a history event, "System" translated (``tickets.history.actor_name``)."""
    return history.actor_name(event)


@register.filter
def markdown(text: str):
    return render_markdown(text)


@register.simple_tag
def live_attrs(ticket=None, after=None):
    """Attributes for <body> that switch on live updates (static/js/live.js) for this page.

    The stream starts after the newest event at render time (``after`` when the page already
    knows it), so nothing is replayed; a ticket page listens to that ticket's changes only.
    """
    from tickets.live import latest_event_id

    if after is None:
        after = latest_event_id()
    if ticket is not None:
        return format_html('data-live data-live-after="{}" data-live-ticket="{}"', after, ticket.pk)
    return format_html('data-live data-live-after="{}"', after)


@register.filter
def custom_value(ticket, key: str) -> str:
    """A ticket's value of custom field ``key`` as text for a queue column ("" when it has none;
    a multi-select's values joined by commas)."""
    value = (getattr(ticket, "custom_fields", None) or {}).get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


@register.filter
def checkbox_labels(field):
    """``{{ form.status|checkbox_labels }}``: each choice's checkbox in its label
    (``tickets.forms.agent.checkbox_labels``)."""
    from tickets.forms.agent import checkbox_labels as write

    return write(field)
