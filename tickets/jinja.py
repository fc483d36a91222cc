"""The Jinja2 environment of the busiest pages' fragments (issue 19): ``helpdesk.jinja``'s, with
the desk's own template functions.

The agent timeline, the portal conversation, "My tickets" and the statistics page's tables and
charts are Jinja2 templates under ``templates/jinja2/``, included from the Django templates of
their pages with ``{% jinja "name" key=value … %}`` (``helpdesk.templatetags.jinja``), so the pages keep one
layout and one set of blocks while their loops cost a fraction.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from helpdesk import jinja


def status_badges() -> dict[str, str]:
    """Every status's badge in the active language, for a loop to look up rather than build."""
    from tickets.models import Status
    from tickets.templatetags.helpdesk import status_badge

    return {status: status_badge(status) for status in Status.values}


def priority_badges() -> dict[str, str]:
    """Every priority's badge in the active language."""
    from tickets.models import Priority
    from tickets.templatetags.helpdesk import priority_badge

    return {priority: priority_badge(priority) for priority in Priority.values}


def environment(**options: Any) -> Environment:
    from tickets.templatetags import helpdesk as ticket_tags

    env = jinja.environment(**options)
    env.globals.update(
        status_badge=ticket_tags.status_badge,
        priority_badge=ticket_tags.priority_badge,
        status_badges=status_badges,
        priority_badges=priority_badges,
    )
    env.filters.update(markdown=ticket_tags.markdown, actor=ticket_tags.actor)
    return env
