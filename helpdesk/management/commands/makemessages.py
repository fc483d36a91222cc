"""``makemessages`` that also reads the Jinja2 fragments (``templates/jinja2/``, tickets.jinja).

Django's command reads every ``.html`` file as a Django template; a Jinja2 template is not one.
Files under a ``jinja2`` directory are read by Jinja2's own extractor instead, and handed to
xgettext as the calls it found (``gettext``, ``pgettext``, ``ngettext``, ``npgettext``), each on the
line it came from, so the catalog's references point at the template.
"""

from __future__ import annotations

import os
from functools import cached_property

from django.core.management.commands import makemessages
from jinja2.ext import babel_extract

JINJA_DIR = f"{os.sep}jinja2{os.sep}"
FUNCTIONS = ("_", "gettext", "ngettext", "pgettext", "npgettext")


def python_calls(source: str) -> str:
    """The translatable calls of a Jinja2 template as Python, each on its template line."""
    lines: dict[int, list[str]] = {}
    with open(source, "rb") as template:
        found = babel_extract(template, FUNCTIONS, [], {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"})
        for lineno, function, found_message, _comments in found:
            # Keyword arguments (``_("#%(number)s", number=t.pk)``, newstyle gettext) come as Nones.
            parts = found_message if isinstance(found_message, tuple) else (found_message,)
            message = tuple(part for part in parts if part is not None)
            if not message:
                continue
            if function in ("_", "gettext"):
                call = f"gettext({message[0]!r})"
            elif function == "pgettext":
                call = f"pgettext({message[0]!r}, {message[1]!r})"
            elif function == "ngettext":
                call = f"ngettext({message[0]!r}, {message[1]!r}, 1)"
            else:  # npgettext
                call = f"npgettext({message[0]!r}, {message[1]!r}, {message[2]!r}, 1)"
            lines.setdefault(lineno, []).append(call)
    last = max(lines, default=0)
    return "\n".join("; ".join(lines.get(number, [])) for number in range(1, last + 1)) + "\n"


class BuildFile(makemessages.BuildFile):
    @cached_property
    def is_jinja(self) -> bool:
        return JINJA_DIR in os.path.abspath(self.path)

    def preprocess(self) -> None:
        if not self.is_jinja:
            return super().preprocess()
        with open(self.work_path, "w", encoding="utf-8") as out:
            out.write(python_calls(self.path))
        return None


class Command(makemessages.Command):
    build_file_class = BuildFile
