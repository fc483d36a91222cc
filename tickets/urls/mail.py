"""The email channel's provider webhooks (tickets.mail.webhooks): /mail/inbound/<provider>/."""

from django.urls import path

from tickets.mail.webhooks import webhook_view

app_name = "mail"

urlpatterns = [
    path("inbound/mailgun/", webhook_view("mailgun"), name="inbound_mailgun"),
    # Mailgun posts the raw MIME message (not its parsed fields) to a URL that contains "mime".
    path("inbound/mailgun_mime/", webhook_view("mailgun"), name="inbound_mailgun_mime"),
    path("inbound/sendgrid/", webhook_view("sendgrid"), name="inbound_sendgrid"),
    path("inbound/postmark/", webhook_view("postmark"), name="inbound_postmark"),
    path("inbound/amazon_ses/", webhook_view("amazon_ses"), name="inbound_amazon_ses"),
]
