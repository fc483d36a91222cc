"""The Jinja2 environment every Jinja2 template of the project renders with (issue 19).

Django's template language interprets its node tree for every variable of every row; Jinja2
compiles a template to Python once. Two users: the fragments of the busiest pages
(``templates/jinja2/``, with the desk's own globals added by ``tickets.jinja``) and the form
widgets (``helpdesk.form_renderer``, Django's own Jinja2 widget templates).

The environment speaks Django's languages and formats: ``_()`` / ``gettext()`` / ``pgettext()``
are Django's translation functions (the active language of the request), the filters are
Django's own (``date``, ``localtime``…; ``naturaltime`` and ``localize`` of date-times give Django's
text through ``helpdesk.moments``), and ``url()`` /
``static()`` resolve as in Django templates. Autoescaping is on, and every value is escaped as
Django escapes it, so a Jinja2 template writes byte for byte what a Django template wrote;
Django's safe strings (``format_html``, ``mark_safe``) stay unescaped because they carry
``__html__``.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from jinja2 import Environment
from markupsafe import Markup

from helpdesk.moments import local_date_text, local_time_text, natural_time


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def localize(value: Any) -> str:
    """A value as ``{{ value }}`` prints it in a Django template: date-times in the active time
    zone, and everything in the active language's format."""
    if isinstance(value, datetime):
        return local_time_text(value)
    return formats.localize(value)


def date(value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter, which Django templates hand a date-time already in the active
    time zone (with a format: remembered per local minute, ``moments.local_date_text``)."""
    if arg is not None:
        return local_date_text(value, arg)
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return defaultfilters.date(value, arg)


def escape(value: Any) -> str:
    """``conditional_escape(value)`` without its lazy-argument wrappers, for code that escapes in
    a loop (every printed value here, every option of ``tickets.forms.agent.QuickSelect``): safe
    strings as they are, everything else through ``html.escape``, which is what Django's
    ``escape`` calls (``&#x27;``, ``&quot;``)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _escaped(value: Any) -> Markup:
    """Jinja's finalizer: every printed value escaped as Django escapes it, marked safe."""
    return Markup(escape(value))  # noqa: S704 - escaped just here


def environment(**options: Any) -> Environment:
    options.setdefault("autoescape", True)
    # Every value is escaped as Django escapes it (``&#x27;`` and ``&quot;``, where markupsafe
    # writes ``&#39;`` and ``&#34;``); the result is marked safe, and autoescaping leaves it alone.
    options.setdefault("finalize", _escaped)
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 - autoescape is set above
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        translation.gettext,
        translation.ngettext,
        newstyle=True,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
    )
    env.globals.update(url=url, static=static)
    env.filters.update(
        date=date,
        naturaltime=natural_time,
        localtime=timezone.localtime,
        localize=localize,
        pluralize=defaultfilters.pluralize,
        filesizeformat=defaultfilters.filesizeformat,
        linebreaksbr=defaultfilters.linebreaksbr,
    )
    return env
