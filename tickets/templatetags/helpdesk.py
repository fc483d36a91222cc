"""Template helpers shared by the portal and the agent workspace."""

from django import template
from django.utils.html import format_html

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
    return format_html('<span class="badge badge-priority-{}">{} priority</span>', priority, label)


@register.filter
def markdown(text: str):
    return render_markdown(text)
