from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_save

        from accounts.settings_pages.registry import SECTIONS, Section, register
        from accounts.signals import access_changed
        from tickets import live
        from tickets.permissions import people_access_changed

        # accounts sits below tickets: it announces changes to people, the ticket side follows.
        access_changed.connect(people_access_changed, dispatch_uid="tickets.people_access_changed")
        # Live streams end or re-check when their person changes or signs out (tickets.live.bus).
        access_changed.connect(live.access_changed, dispatch_uid="tickets.live.access_changed")
        post_save.connect(live.person_changed, sender=get_user_model(), dispatch_uid="tickets.live.person_changed")
        user_logged_out.connect(live.signed_out, dispatch_uid="tickets.live.signed_out")
        # The ticket permissions' ids are read once per process, again after every migrate (and flush).
        from django.db.models.signals import post_migrate

        from tickets.permissions.levels import forget_permission_ids

        post_migrate.connect(forget_permission_ids, dispatch_uid="tickets.permission_ids")
        # Field definitions are cached (tickets.selectors.custom_fields.active_fields): any write forgets them.
        from django.db.models.signals import m2m_changed, post_delete

        from tickets.models import TicketField
        from tickets.selectors.custom_fields import definitions_changed

        for signal in (post_save, post_delete):
            signal.connect(definitions_changed, sender=TicketField, dispatch_uid=f"tickets.fields.{signal!r}")
        m2m_changed.connect(definitions_changed, sender=TicketField.teams.through, dispatch_uid="tickets.fields.teams")
        # Saved or deleted macros: the pickers' lists (tickets.services.macros.macros_for) are read again.
        from tickets.models import Macro
        from tickets.services.macros import macros_changed

        for signal in (post_save, post_delete):
            signal.connect(macros_changed, sender=Macro, dispatch_uid=f"tickets.macros.{signal!r}")
        # Saved or deleted saved views: every queue's list of views (tickets.queue_views.saved_views).
        from tickets.models import SavedView
        from tickets.queue_views import saved_views_changed

        for signal in (post_save, post_delete):
            signal.connect(saved_views_changed, sender=SavedView, dispatch_uid=f"tickets.views.{signal!r}")
        # People, teams or team members changed: the pickers' lists (tickets.directory) are read again.
        from accounts.models import Team
        from tickets.directory import directory_changed

        m2m_changed.connect(
            directory_changed, sender=get_user_model().groups.through, dispatch_uid="tickets.directory.groups"
        )
        for model in (get_user_model(), Team):
            for signal in (post_save, post_delete):
                signal.connect(
                    directory_changed, sender=model, dispatch_uid=f"tickets.directory.{model.__name__}.{signal!r}"
                )
        # Saved or deleted SLA policies: the "any active policy?" answer is asked again.
        from tickets.sla import hook as sla_hook

        sla_hook.connect()
        # Saved or deleted webhook endpoints: the outbox asks for the active ones again.
        from tickets.webhooks import outbox as webhook_outbox

        webhook_outbox.connect()
        # The email channel's settings page joins the settings area (accounts never imports tickets).
        if not any(section.slug == "mailboxes" for section in SECTIONS):
            register(Section("mailboxes", _("Mailboxes"), "settings:mailboxes", "tickets.mail.settings"))
        # Shared saved views (issue 16): listed for desk managers, edited in the queue's view editor.
        if not any(section.slug == "views" for section in SECTIONS):
            register(Section("views", _("Views"), "settings:views", "tickets.views.settings_views"))
        # The desk's own ticket fields (issue 16).
        if not any(section.slug == "ticket-fields" for section in SECTIONS):
            register(
                Section("ticket-fields", _("Ticket fields"), "settings:ticket_fields", "tickets.custom_fields_settings")
            )
        # Service level agreements: business schedules and policies (tickets.sla).
        if not any(section.slug == "schedules" for section in SECTIONS):
            register(Section("schedules", _("Schedules"), "settings:sla_schedules", "tickets.sla.settings"))
            register(Section("sla-policies", _("SLA policies"), "settings:sla_policies", "tickets.sla.policy_settings"))
        from tickets.rule_settings import register_sections  # Settings → Triggers and Automations

        register_sections()
        from tickets.macro_settings import register_section  # Settings → Macros (shared macros)

        register_section()
        # Data protection: the ticket side of a person's export and erasure (accounts.privacy).
        from tickets.privacy import register_part

        register_part()
        if not any(section.slug == "retention" for section in SECTIONS):
            register(Section("retention", _("Data retention"), "settings:retention", "tickets.privacy.settings_pages"))
        # Outgoing webhooks (tickets.webhooks): Settings → Webhooks.
        if not any(section.slug == "webhooks" for section in SECTIONS):
            register(Section("webhooks", _("Webhooks"), "settings:webhooks", "tickets.webhooks.settings_pages"))
