"""Settings → Triggers and Settings → Automations: the desk's rules in the product's own pages.

Two sections of the settings area (``accounts.settings_pages.registry``), registered by
``TicketsConfig.ready()`` with ``register_sections()`` so ``accounts`` never imports ``tickets``.
One set of views serves both (``views``, given the ``Kind`` of ``triggers`` or ``automations``);
every change goes through ``tickets.rule_admin`` — the engine's checks and the audit log in the
same transaction — and "Test" asks ``rule_admin.test_run`` without saving anything.
"""

from __future__ import annotations


def register_sections() -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts.settings_pages.registry import SECTIONS, Section, register

    for slug, label in (("triggers", _("Triggers")), ("automations", _("Automations"))):
        if not any(section.slug == slug for section in SECTIONS):
            register(Section(slug, label, f"settings:{slug}", f"tickets.rule_settings.{slug}"))
