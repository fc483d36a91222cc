"""The settings area (``/settings/``): where admins manage the desk — people, teams,
organizations, invitations — and read the audit log, in the product's own layout.

- ``registry``: the sections of the side navigation, each with its URL module (one line each);
- ``common``: the one permission check (``accounts.permissions.can_manage_desk``), rendering
  in the settings layout, paging;
- one module per section (``people``, ``teams``, ``organizations``, ``invitations``,
  ``audit_log``), each with its views and ``urlpatterns``; ``forms`` holds their forms.

Every change goes through ``accounts.services`` and leaves an entry in the audit log
(``accounts.audit``) in the same transaction. Dangerous actions ask on a confirmation page first.
"""
