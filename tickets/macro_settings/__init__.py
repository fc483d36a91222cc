"""Managing macros in pages: Settings → Macros (the desk's shared macros, for desk managers) and
"My macros" in the agent workspace (an agent's personal macros).

One set of views serves both (``views``, given the ``Place``: ``SHARED`` or ``PERSONAL``); every
change goes through ``tickets.services.macros`` — the engine's checks, and for shared macros the
audit log, in the same transaction — and "Preview" asks ``macro_preview_draft`` on a ticket
without saving anything. Who sees what is ``tickets.permissions`` (``manageable_macros``,
``may_create_macro``). The settings section is registered by ``TicketsConfig.ready()`` with
``register_section()`` so ``accounts`` never imports ``tickets``.
"""

from __future__ import annotations


def register_section() -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts.settings_pages.registry import SECTIONS, Section, register

    if not any(section.slug == "macros" for section in SECTIONS):
        register(Section("macros", _("Macros"), "settings:macros", "tickets.macro_settings.shared"))
