"""Text people type, made safe to store and show (issue 13 §4). Used by every app; imports none.

Two classes of hostile text, each refused or cleaned in exactly one place:

- **NUL bytes** (U+0000). PostgreSQL cannot store them in text or JSON, SQLite can: left alone they
  are a 500 on one database and stored garbage on the other. Every request's query string, form
  fields and JSON body are refused with a 400 if they hold one (``helpdesk.middleware.
  HostileInputMiddleware`` for query strings and forms, ``helpdesk.api.parsers`` for API bodies),
  and so are lone surrogates (U+D800–U+DFFF), which no database can encode as UTF-8.
- **Invisible format characters** (Unicode category Cf: the bidirectional controls U+202A–U+202E,
  U+2066–U+2069, U+200E/U+200F, U+061C; zero-width U+200B–U+200D, U+2060, U+FEFF; soft hyphen…)
  and other control characters. In a one-line label they make ``Invoice \\u202egpj.exe\\u202c``
  read as "Invoice exe.jpg". ``clean_label`` removes them, with line breaks and runs of spaces, from
  every label a person gives: ticket subjects, people's names, team and organization names, file
  names. The services and models apply it, so every door (pages, API, admin, importers) gets it.

Message bodies keep format characters: they are rendered as escaped, sanitized Markdown in a block
of their own, where a right-to-left writer legitimately needs U+200F/U+061C and zero-width joiners
shape Arabic and Indic scripts and emoji; an override there cannot reorder anything outside it,
because each rendered block is its own bidirectional paragraph.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NUL = "\x00"


def is_format_or_control(ch: str) -> bool:
    """A character with no glyph of its own: controls (Cc), format characters (Cf: bidirectional
    marks, embeddings, overrides and isolates; zero-width spaces and joiners), surrogates (Cs),
    private use (Co) and unassigned code points (Cn), and the line and paragraph separators."""
    return unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029"


def clean_label(value: str) -> str:
    """A one-line label as people see it: NFC, no format or control characters, one space between
    words, no leading or trailing space. ``"Invoice \\u202egpj.exe\\u202c"`` → ``"Invoice gpj.exe"``."""
    text = unicodedata.normalize("NFC", value)
    # Line breaks and tabs (controls) separate words; invisible characters simply go.
    text = "".join(" " if ch in "\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029" else ch for ch in text)
    text = "".join(ch for ch in text if not is_format_or_control(ch))
    return " ".join(text.split())


def unstorable(value: Any) -> StrOrPromise | None:
    """Why ``value`` (a string, or lists and mappings of them, keys included) cannot be stored:
    a NUL byte or a lone surrogate; None when it can."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return _("Text cannot contain NUL (\\u0000) characters.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return _("Text cannot contain lone surrogates (\\ud800-\\udfff).")
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


class LabelField(models.CharField):
    """A ``CharField`` holding a label (a name): cleaned by ``clean_label`` whenever a value is
    validated (``full_clean``, so model forms and the admin check uniqueness on the cleaned name)
    and whenever it is saved, whatever the door: services, forms, the admin, importers.

    It deconstructs as a plain ``CharField``: the column is the same, so there is no migration.
    """

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return clean_label(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = clean_label(value)
            setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
