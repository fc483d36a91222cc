"""The provider door: inbound webhooks of mail services, through django-anymail.

Anymail's own inbound views (Mailgun, SendGrid, Postmark, Amazon SES) check the request — HTTP
basic auth with ``ANYMAIL["WEBHOOK_SECRET"]`` for every provider, and Mailgun's HMAC signature
with ``ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]`` — and send its ``inbound`` signal; our receiver
hands the message's raw MIME to the same store-first ``intake.receive`` as the other doors.

A door stays closed (404) until its secret is configured: without ``WEBHOOK_SECRET`` anymail
would take posts from anyone (it only warns), and Mailgun's view cannot check a signature
without its key. A refused request (no or wrong basic auth, a bad signature) is a 400 from
anymail and stores nothing. A message that could not be stored (the database away) is a 500:
the provider keeps it and posts again later. Only these views are CSRF-exempt (anymail's
``dispatch`` is); they answer POST (and HEAD, for providers that probe the URL) only.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

from anymail.exceptions import AnymailNotSupportedWarning  # type: ignore[import-untyped]
from anymail.signals import AnymailInboundEvent, inbound  # type: ignore[import-untyped]
from anymail.utils import get_anymail_setting  # type: ignore[import-untyped]
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.mailgun import MailgunInboundWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.postmark import PostmarkInboundWebhookView  # type: ignore[import-untyped]
from anymail.webhooks.sendgrid import SendGridInboundWebhookView  # type: ignore[import-untyped]
from django.contrib.auth.decorators import login_not_required
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from tickets.mail import intake
from tickets.mail.models import Door

log = logging.getLogger("tickets.mail")
# Anymail 15 no longer tests SendGrid (its inbound parse is unchanged); said once here, not per post.
warnings.filterwarnings("ignore", category=AnymailNotSupportedWarning, module="anymail.webhooks.sendgrid")


def _setting(name: str, esp_name: str | None = None) -> Any:
    return get_anymail_setting(name, esp_name=esp_name, default=None)


def _has_secret() -> bool:
    return bool(_setting("webhook_secret"))


def _mailgun_ready() -> bool:
    return bool(_setting("webhook_signing_key", "Mailgun"))


# Provider (as in the URL) -> (anymail's view class, whether its secrets are configured).
PROVIDERS: dict[str, tuple[Any, Callable[[], bool]]] = {
    "mailgun": (MailgunInboundWebhookView, _mailgun_ready),
    "sendgrid": (SendGridInboundWebhookView, _has_secret),
    "postmark": (PostmarkInboundWebhookView, _has_secret),
    "amazon_ses": (AmazonSESInboundWebhookView, _has_secret),
}


def webhook_view(provider: str) -> Callable[[HttpRequest], HttpResponse]:
    """The inbound webhook view of ``provider``: anymail's, behind a closed door until configured."""
    view_class, ready = PROVIDERS[provider]
    anymail_view = view_class.as_view()

    @csrf_exempt
    @login_not_required
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ready():
            raise Http404("This provider's webhook is not configured.")
        return anymail_view(request)

    view.__name__ = f"inbound_{provider}"
    # SendGrid's view reads the raw body after the form (for its charsets): helpdesk.middleware's
    # NUL check, which reads the form first, keeps the body for it.
    view.reads_raw_body = provider == "sendgrid"  # type: ignore[attr-defined]
    return view


def raw_bytes(message: Any) -> bytes:
    """The MIME bytes of anymail's ``AnymailInboundMessage`` (an ``EmailMessage``)."""
    try:
        return message.as_bytes()
    except Exception:  # a header the policy cannot fold again: the message as text
        return message.as_string().encode("utf-8", errors="surrogateescape")


@receiver(inbound, dispatch_uid="tickets.mail.webhooks.store")
def store(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    """Store one message a provider posted (store first; processing follows after the commit).
    An exception here makes anymail answer 500, so the provider posts it again later."""
    message = event.message
    if message is None:
        return
    recipient = getattr(message, "envelope_recipient", None)
    received = intake.receive(
        raw_bytes(message),
        door=Door.WEBHOOK,
        envelope_sender=getattr(message, "envelope_sender", None) or "",
        envelope_recipients=[recipient] if recipient else [],
    )
    log.info(
        "Inbound message from %s webhook %s as %s",
        esp_name,
        "stored" if received.created else "already stored",
        received.inbound.pk,
    )
