"""Ticket endpoints under /api/v1/ (names in the ``api`` namespace)."""

from django.urls import path

from tickets.api import fields, stats, views

urlpatterns = [
    path("tickets/", views.TicketList.as_view(), name="ticket-list"),
    path("tickets/bulk/", views.TicketBulk.as_view(), name="ticket-bulk"),
    path("tickets/<id:pk>/", views.TicketDetail.as_view(), name="ticket-detail"),
    path("tickets/<id:pk>/claim/", views.TicketClaim.as_view(), name="ticket-claim"),
    path("tickets/<id:pk>/messages/", views.MessageList.as_view(), name="ticket-messages"),
    path("tickets/<id:pk>/attachments/", views.AttachmentList.as_view(), name="ticket-attachments"),
    path("tickets/<id:pk>/events/", views.EventList.as_view(), name="ticket-events"),
    path("ticket-fields/", fields.TicketFieldList.as_view(), name="ticket-field-list"),
    path("ticket-fields/<id:pk>/", fields.TicketFieldDetail.as_view(), name="ticket-field-detail"),
    path("stats/agents/", stats.AgentStats.as_view(), name="stats-agents"),
    path("stats/trend/", stats.TrendStats.as_view(), name="stats-trend"),
    path("attachments/<id:pk>/download/", views.AttachmentDownload.as_view(), name="attachment-download"),
    path("attachments/<id:pk>/preview/", views.AttachmentPreview.as_view(), name="attachment-preview"),
]
