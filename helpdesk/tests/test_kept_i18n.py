"""Constant ``{% translate %}`` texts remembered per language (``helpdesk.templatetags.kept_i18n``):
the same output as Django's own tags, in every language, whatever the form of the tag."""

from __future__ import annotations

import struct
from pathlib import Path

from django.template import Context, Engine, engines
from django.test import override_settings
from django.utils import translation

from helpdesk.templatetags.kept_i18n import KeptTranslateNode

SOURCE = (
    "{% load i18n %}"
    '[{% translate "Status" %}]'
    "[{% trans 'Priority' %}]"
    '[{% translate "May" context "month name" %}]'
    '[{% translate "Assignee" as label %}{{ label }}|{{ label|upper }}]'
    '[{% translate "Tom & Jerry <b>" %}]'
    '[{% translate "100%% done" %}]'
    '[{% translate "Status" noop %}]'
    "[{% translate word %}]"
    '[{% translate "Team"|lower %}]'
    '[{% translate "May" context kind %}]'
    "[{% blocktranslate %}Team{% endblocktranslate %}]"
)


def _django_engine() -> Engine:
    """Django's own i18n library, for the expected output."""
    return Engine(libraries={"i18n": "django.templatetags.i18n"})


def _render(template, language: str, autoescape: bool = True) -> str:
    with translation.override(language):
        return template.render(Context({"word": "Team", "kind": "month name"}, autoescape=autoescape))


def test_the_project_engine_uses_the_kept_node_for_constants_only():
    template = engines["django"].from_string(SOURCE).template
    nodes = template.nodelist.get_nodes_by_type(KeptTranslateNode)
    # "Status", "Priority", "May" (constant context), "Assignee" as, the escaped text, 100%, noop.
    assert len(nodes) == 7


def test_the_output_is_djangos_in_every_language_and_every_render():
    ours = Engine(libraries={"i18n": "helpdesk.templatetags.kept_i18n"}).from_string(SOURCE)
    theirs = _django_engine().from_string(SOURCE)
    for _ in range(2):  # the second round comes from what the nodes kept
        for language in ("en", "es", "bs", "en"):
            for autoescape in (True, False):
                assert _render(ours, language, autoescape) == _render(theirs, language, autoescape), language
    spanish = _render(ours, "es")
    assert "[Estado]" in spanish and "[Prioridad]" in spanish
    assert "[Tom & Jerry <b>]" in _render(ours, "en")  # a quoted text is safe, as in Django


def _write_mo(path: Path, messages: dict[str, str]) -> None:
    """A compiled gettext catalog (the .mo layout: header, two tables of (length, offset), the
    NUL-ended strings), so the test needs no msgfmt."""
    entries = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **messages}.items())
    count = len(entries)
    originals = b"".join(key.encode() + b"\0" for key, _ in entries)
    start = 28 + 16 * count
    tables, offset = [], start
    for key, _ in entries:
        tables.append((len(key.encode()), offset))
        offset += len(key.encode()) + 1
    translated_tables = []
    for _, value in entries:
        translated_tables.append((len(value.encode()), offset))
        offset += len(value.encode()) + 1
    header = struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + 8 * count, 0, start)
    body = b"".join(struct.pack("<2I", *pair) for pair in tables + translated_tables)
    path.parent.mkdir(parents=True)
    path.write_bytes(header + body + originals + b"".join(value.encode() + b"\0" for _, value in entries))


def test_other_catalogs_drop_what_was_kept(tmp_path):
    _write_mo(tmp_path / "es" / "LC_MESSAGES" / "django.mo", {"Status": "Situación"})
    source = '{% load i18n %}{% translate "Status" %}'
    ours = Engine(libraries={"i18n": "helpdesk.templatetags.kept_i18n"}).from_string(source)
    assert _render(ours, "es") == "Estado"
    with override_settings(LOCALE_PATHS=[tmp_path]):
        assert _render(ours, "es") == "Situación"
    assert _render(ours, "es") == "Estado"


def test_no_other_template_library_name_is_given_twice():
    """settings.py silences Django's check for library names given twice, for "i18n" only."""
    from django.core.checks.templates import check_templates

    warnings = [w for w in check_templates(None) if w.id == "templates.W003"]
    assert [w.msg for w in warnings if not w.msg.startswith("'i18n' is used for multiple")] == []
    assert len(warnings) == 1
