"""/api/v2/: the Zendesk-compatible routes (names ``api:zendesk-…``). Included by
``helpdesk.api.urls`` so they share the API's plumbing (public to the login middleware, id
converter); listed in the security matrix's sweep and the hostile-input table like v1's."""

from django.urls import path

from tickets.zendesk import audits, fields, incremental, jobs, people, search, tickets, uploads

urlpatterns = [
    path("tickets.json", tickets.TicketList.as_view(), name="zendesk-tickets"),
    path("tickets/show_many.json", tickets.ShowMany.as_view(), name="zendesk-tickets-show-many"),
    path("tickets/create_many.json", jobs.CreateMany.as_view(), name="zendesk-tickets-create-many"),
    path("tickets/update_many.json", jobs.UpdateMany.as_view(), name="zendesk-tickets-update-many"),
    path("tickets/<id:pk>.json", tickets.TicketDetail.as_view(), name="zendesk-ticket"),
    path("tickets/<id:pk>/comments.json", tickets.CommentList.as_view(), name="zendesk-ticket-comments"),
    path("tickets/<id:pk>/audits.json", audits.AuditList.as_view(), name="zendesk-ticket-audits"),
    path("job_statuses/<str:job_id>.json", jobs.JobStatusDetail.as_view(), name="zendesk-job-status"),
    path("search.json", search.Search.as_view(), name="zendesk-search"),
    path("incremental/tickets/cursor.json", incremental.TicketExport.as_view(), name="zendesk-incremental-tickets"),
    path("uploads.json", uploads.Uploads.as_view(), name="zendesk-uploads"),
    path("uploads/<str:token>.json", uploads.UploadDetail.as_view(), name="zendesk-upload"),
    path("attachments/<id:pk>.json", uploads.AttachmentDetail.as_view(), name="zendesk-attachment"),
    path("attachments/<id:pk>/content", uploads.AttachmentContent.as_view(), name="zendesk-attachment-download"),
    path("users/me.json", people.Me.as_view(), name="zendesk-me"),
    path("users.json", people.UserList.as_view(), name="zendesk-users"),
    path("users/search.json", people.UserSearch.as_view(), name="zendesk-user-search"),
    path("users/<id:pk>.json", people.UserDetail.as_view(), name="zendesk-user"),
    path("organizations.json", people.OrganizationList.as_view(), name="zendesk-organizations"),
    path("organizations/<id:pk>.json", people.OrganizationDetail.as_view(), name="zendesk-organization"),
    path("groups.json", people.GroupList.as_view(), name="zendesk-groups"),
    path("groups/<id:pk>.json", people.GroupDetail.as_view(), name="zendesk-group"),
    path("ticket_fields.json", fields.TicketFieldList.as_view(), name="zendesk-ticket-fields"),
    path("group_memberships.json", people.GroupMemberships.as_view(), name="zendesk-group-memberships"),
]
