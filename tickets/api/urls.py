"""Ticket endpoints under /api/v1/ (names in the ``api`` namespace)."""

from django.urls import path

from tickets.api import fields, files, macros, rules, saved_views, stats, views
from tickets.satisfaction import api as satisfaction_api

urlpatterns = [
    path("tickets/", views.TicketList.as_view(), name="ticket-list"),
    path("tickets/bulk/", views.TicketBulk.as_view(), name="ticket-bulk"),
    path("tickets/<id:pk>/", views.TicketDetail.as_view(), name="ticket-detail"),
    path("tickets/<id:pk>/claim/", views.TicketClaim.as_view(), name="ticket-claim"),
    path("tickets/<id:pk>/messages/", views.MessageList.as_view(), name="ticket-messages"),
    path("tickets/<id:pk>/attachments/", views.AttachmentList.as_view(), name="ticket-attachments"),
    path("tickets/<id:pk>/events/", views.EventList.as_view(), name="ticket-events"),
    path("macros/", macros.MacroList.as_view(), name="macro-list"),
    path("macros/<id:pk>/", macros.MacroDetail.as_view(), name="macro-detail"),
    path("macros/<id:pk>/apply/", macros.MacroApply.as_view(), name="macro-apply"),
    path("views/", saved_views.ViewList.as_view(), name="view-list"),
    path("views/<str:ref>/", saved_views.ViewDetail.as_view(), name="view-detail"),
    path("views/<str:ref>/tickets/", saved_views.ViewTickets.as_view(), name="view-tickets"),
    path("views/<str:ref>/count/", saved_views.ViewCount.as_view(), name="view-count"),
    path("ticket-fields/", fields.TicketFieldList.as_view(), name="ticket-field-list"),
    path("ticket-fields/<id:pk>/", fields.TicketFieldDetail.as_view(), name="ticket-field-detail"),
    path("stats/agents/", stats.AgentStats.as_view(), name="stats-agents"),
    path("stats/trend/", stats.TrendStats.as_view(), name="stats-trend"),
    path("stats/satisfaction/", satisfaction_api.SatisfactionStats.as_view(), name="stats-satisfaction"),
    path("stats/sla/", stats.SlaStats.as_view(), name="stats-sla"),
    path("triggers/", rules.TriggerList.as_view(), name="trigger-list"),
    path("triggers/<id:pk>/", rules.TriggerDetail.as_view(), name="trigger-detail"),
    path("automations/", rules.AutomationList.as_view(), name="automation-list"),
    path("automations/<id:pk>/", rules.AutomationDetail.as_view(), name="automation-detail"),
    path("attachments/<id:pk>/download/", files.AttachmentDownload.as_view(), name="attachment-download"),
    path("attachments/<id:pk>/preview/", files.AttachmentPreview.as_view(), name="attachment-preview"),
]
