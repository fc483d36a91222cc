"""The sections of the settings area, in the order of its side navigation.

A section is one line: its slug (the URL segment under ``/settings/`` and the navigation key),
its label, the URL name of its first page and the module holding its ``urlpatterns`` (names in
the ``settings`` namespace). Another app adds its settings with ``register()`` from its
``AppConfig.ready()`` — e.g. ``register(Section("macros", _("Macros"), "settings:macros",
"tickets.rules.settings_urls"))`` — before the URL conf is first loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    slug: str
    label: str | Promise
    url_name: str
    urls: str


SECTIONS: list[Section] = [
    Section("people", _("People"), "settings:people", "accounts.settings_pages.people"),
    Section("teams", _("Teams"), "settings:teams", "accounts.settings_pages.teams"),
    Section("organizations", _("Organizations"), "settings:organizations", "accounts.settings_pages.organizations"),
    Section("invitations", _("Invitations"), "settings:invitations", "accounts.settings_pages.invitations"),
    Section("audit", _("Audit log"), "settings:audit", "accounts.settings_pages.audit_log"),
]


def register(section: Section, *, before: str | None = "audit") -> None:
    """Add ``section`` to the navigation, before the section ``before`` (the audit log stays
    last), or at the end. Registering a slug twice is a mistake and raises ``ValueError``."""
    if any(existing.slug == section.slug for existing in SECTIONS):
        raise ValueError(f"A settings section {section.slug!r} is already registered.")
    slugs = [existing.slug for existing in SECTIONS]
    SECTIONS.insert(slugs.index(before) if before in slugs else len(SECTIONS), section)
