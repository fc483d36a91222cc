"""The agent workspace, mounted at /agent/ (namespace ``agent``)."""

from django.urls import include, path

from tickets.macro_settings.views import PERSONAL
from tickets.macro_settings.views import urlpatterns_for as macro_pages
from tickets.views import agent, custom_fields, macros, saved_views, sla_stats, stats, trend

app_name = "agent"

urlpatterns = [
    path("", agent.queue_page, name="queue"),
    path("bulk/", agent.bulk_update, name="bulk"),
    path("bulk/macro/", macros.macro_bulk_apply, name="macro_bulk"),
    path("macros/", include(macro_pages(PERSONAL))),
    path("stats/", stats.stats_page, name="stats"),
    path("stats/export/", trend.stats_export, name="stats_export"),
    path("stats/sla/", sla_stats.sla_page, name="stats_sla"),
    path("stats/sla/export/", sla_stats.sla_export, name="stats_sla_export"),
    path("counts/", agent.view_counts, name="counts"),
    path("views/new/", saved_views.view_new, name="view_new"),
    path("views/<int:pk>/", saved_views.view_edit, name="view_edit"),
    path("views/<int:pk>/delete/", saved_views.view_delete, name="view_delete"),
    path("tickets/<int:pk>/", agent.ticket_page, name="ticket"),
    path("tickets/<int:pk>/messages/", agent.ticket_message, name="message"),
    path("tickets/<int:pk>/messages/<int:message_id>/original/", agent.message_original, name="message_original"),
    path("tickets/<int:pk>/fields/", agent.ticket_fields, name="fields"),
    path("tickets/<int:pk>/custom-fields/", custom_fields.ticket_custom_fields, name="custom_fields"),
    path("tickets/<int:pk>/claim/", agent.ticket_claim, name="claim"),
    path("tickets/<int:pk>/release/", agent.ticket_release, name="release"),
    path("tickets/<int:pk>/collaborators/", agent.collaborator_add, name="collaborator_add"),
    path("tickets/<int:pk>/collaborators/<int:user_id>/remove/", agent.collaborator_remove, name="collaborator_remove"),
    path("tickets/<int:pk>/macros/<int:macro_id>/", macros.macro_preview, name="macro_preview"),
    path("tickets/<int:pk>/macros/<int:macro_id>/apply/", macros.macro_apply, name="macro_apply"),
]
