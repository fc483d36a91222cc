"""The Jinja2 environment of the fragments that render on every busy page (issue 19).

Django's template language interprets its node tree for every variable of every row; Jinja2
compiles a template to Python once. The queue's rows, the conversations and the portal's lists
are Jinja2 templates under ``templates/jinja2/``, included from the Django templates of their
pages with ``{% jinja "name" key=value … %}`` (``helpdesk.templatetags.jinja``), so the pages keep
one layout and one set of blocks while their loops cost a fraction.

The environment speaks Django's languages and formats: ``{% trans %}`` / ``_()`` / ``pgettext()``
are Django's translation functions (the active language of the request), the filters are
Django's own (``date``, ``naturaltime``, ``localtime``) and the project's template filters, and
``url()`` / ``static()`` resolve as in Django templates. Autoescaping is on; Django's safe strings
(``format_html``, ``mark_safe``) stay unescaped because they carry ``__html__``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import conditional_escape
from jinja2 import Environment
from markupsafe import Markup


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def localize(value: Any) -> str:
    """A value as ``{{ value }}`` prints it in a Django template: date-times in the active time
    zone, and everything in the active language's format."""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return formats.localize(value)


def date(value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter, which Django templates hand a date-time already in the active
    time zone."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return defaultfilters.date(value, arg)


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


def priority_labels() -> dict[str, str]:
    """Every priority's label in the active language."""
    from tickets.models import Priority

    return {value: str(label) for value, label in Priority.choices}


def _escaped(value: Any) -> Markup:
    return Markup(conditional_escape(value))  # noqa: S704 - escaped by Django just here


def environment(**options: Any) -> Environment:
    options.setdefault("autoescape", True)
    # Every value is escaped as Django escapes it (``&#x27;`` for a quote, where markupsafe writes
    # ``&#39;``), so a fragment writes byte for byte what the Django template it replaced wrote;
    # the result is marked safe, and autoescaping leaves it alone.
    options.setdefault("finalize", _escaped)
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 - autoescape is set above
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        translation.gettext,
        translation.ngettext,
        newstyle=True,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
    )
    from tickets.templatetags import helpdesk as ticket_tags
    from tickets.templatetags.sla_tags import sla_due_html

    env.globals.update(
        url=url,
        static=static,
        status_badge=ticket_tags.status_badge,
        priority_badge=ticket_tags.priority_badge,
        custom_value=ticket_tags.custom_value,
        sla_due=sla_due_html,
        status_badges=status_badges,
        priority_labels=priority_labels,
        priority_badges=priority_badges,
    )
    env.filters.update(
        date=date,
        naturaltime=naturaltime,
        localtime=timezone.localtime,
        localize=localize,
        markdown=ticket_tags.markdown,
        actor=ticket_tags.actor,
        pluralize=defaultfilters.pluralize,
        filesizeformat=defaultfilters.filesizeformat,
        linebreaksbr=defaultfilters.linebreaksbr,
    )
    return env
