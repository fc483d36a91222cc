"""Settings → Webhooks: the endpoints (new — with the secret shown once —, edit, pause and resume,
send a test event, delete) and each endpoint's delivery log with "Redeliver".

Registered in the settings area by ``TicketsConfig.ready()``; the settings area's one permission
check and layout (``accounts.settings_pages.common``); every change through
``tickets.webhooks.services`` with its audit entry.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from helpdesk.forms import apply_errors
from tickets.webhooks import services
from tickets.webhooks.models import DeliveryState, EventType, WebhookDelivery, WebhookEndpoint

SECTION = "webhooks"


class EndpointForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=2000,
        help_text=gettext_lazy("Where the desk POSTs each event, signed (README, Webhooks). Public addresses only, "
                               "unless HELPDESK_WEBHOOK_ALLOWED_HOSTS allows a private one."),
    )  # fmt: skip
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal endpoint"),
        required=False,
        help_text=gettext_lazy(
            "Receives internal notes and files on them. Only for receivers inside the support team."
        ),
    )


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


def _endpoints():
    return WebhookEndpoint.objects.order_by("name", "id")


@settings_view
@require_http_methods(["GET"])
def endpoints(request: AuthenticatedHttpRequest) -> HttpResponse:
    return common.render_page(
        request, "settings/webhooks.html", {"endpoints": list(_endpoints())}, section=SECTION, landing=True
    )


def _edit_page(request: AuthenticatedHttpRequest, endpoint: WebhookEndpoint | None, form: EndpointForm, status: int):
    return common.render_page(
        request,
        "settings/webhook.html",
        {"endpoint": endpoint, "form": form},
        section=SECTION,
        status=status,
    )


def _secret_page(request: AuthenticatedHttpRequest, endpoint: WebhookEndpoint, secret: str) -> HttpResponse:
    """The secret, this once: rendered in the answer to the POST, never stored in a session."""
    response = common.render_page(
        request, "settings/webhook_secret.html", {"endpoint": endpoint, "secret": secret}, section=SECTION, status=201
    )
    response["Cache-Control"] = "no-store"
    return response


@settings_view
@require_http_methods(["GET", "POST"])
def endpoint_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _edit_page(request, None, EndpointForm(initial={"events": EventType.values[:-4]}), 200)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _secret_page(request, endpoint, secret)
    return _edit_page(request, None, form, 400)


@settings_view
@require_http_methods(["GET", "POST"])
def endpoint(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = common.get_or_404(_endpoints(), pk)
    if request.method == "GET":
        initial = {"name": found.name, "url": found.url, "events": found.events, "internal": found.internal}
        return _edit_page(request, found, EndpointForm(initial=initial), 200)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(found, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” is saved.") % {"name": found.name})
            return redirect("settings:webhook", found.pk)
    return _edit_page(request, common.get_or_404(_endpoints(), pk), form, 400)


@settings_view
@require_POST
def endpoint_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = common.get_or_404(_endpoints(), pk)
    form = ActiveForm(request.POST)
    if form.is_valid():
        services.endpoint_set_active(found, actor=request.user, active=form.cleaned_data["active"])
        if found.active:
            messages.success(request, _("“%(name)s” is active: waiting deliveries go now.") % {"name": found.name})
        else:
            messages.success(
                request, _("“%(name)s” is paused: deliveries wait until it is resumed.") % {"name": found.name}
            )
    return redirect("settings:webhook", found.pk)


@settings_view
@require_POST
def endpoint_test(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = common.get_or_404(_endpoints(), pk)
    delivery = services.send_test(found, actor=request.user)
    if delivery.state == DeliveryState.DELIVERED:
        messages.success(request, _("Test event delivered (HTTP %(status)s).") % {"status": delivery.response_status})
    else:
        problem = delivery.error or (_("HTTP %(status)s") % {"status": delivery.response_status})
        messages.error(request, _("The test event was not delivered: %(problem)s") % {"problem": problem})
    return redirect("settings:webhook_deliveries", found.pk)


@settings_view
@require_POST
def endpoint_secret(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A new signing secret, shown this once; the old one signs nothing more."""
    found = common.get_or_404(_endpoints(), pk)
    return _secret_page(request, found, services.endpoint_rotate_secret(found, actor=request.user))


@settings_view
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = common.get_or_404(_endpoints(), pk)
    if request.method == "POST" and request.POST.get("confirmed") == "1":
        services.endpoint_delete(found, actor=request.user)
        messages.success(request, _("“%(name)s” is deleted.") % {"name": found.name})
        return redirect("settings:webhooks")
    return common.confirm(
        request,
        section=SECTION,
        title=_("Delete “%(name)s”?") % {"name": found.name},
        question=_("Delete this endpoint and its delivery log?"),
        consequences=[_("Messages not yet delivered to it are dropped."), _("This cannot be undone.")],
        button=_("Yes, delete"),
        cancel_url=f"/settings/webhooks/{found.pk}/",
    )


@settings_view
@require_http_methods(["GET"])
def deliveries(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = common.get_or_404(_endpoints(), pk)
    rows = found.deliveries.order_by("-created_at", "-id")
    state = request.GET.get("state", "")
    if state in DeliveryState.values:
        rows = rows.filter(state=state)
    else:
        state = ""
    context: dict[str, Any] = {
        "endpoint": found,
        "page": common.page_of(request, rows),
        "query": common.query_without_page(request),
        "state": state,
        "states": DeliveryState.choices,
    }
    return common.render_page(request, "settings/webhook_deliveries.html", context, section=SECTION)


@settings_view
@require_POST
def delivery_redeliver(request: AuthenticatedHttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    found = common.get_or_404(_endpoints(), pk)
    delivery: WebhookDelivery = common.get_or_404(found.deliveries.all(), delivery_id)
    services.redeliver(delivery)
    messages.success(request, _("%(id)s will be sent again shortly.") % {"id": delivery.message_id})
    return redirect("settings:webhook_deliveries", found.pk)


urlpatterns = [
    path("", endpoints, name="webhooks"),
    path("new/", endpoint_new, name="webhook_new"),
    path("<int:pk>/", endpoint, name="webhook"),
    path("<int:pk>/active/", endpoint_active, name="webhook_active"),
    path("<int:pk>/test/", endpoint_test, name="webhook_test"),
    path("<int:pk>/secret/", endpoint_secret, name="webhook_secret"),
    path("<int:pk>/delete/", endpoint_delete, name="webhook_delete"),
    path("<int:pk>/deliveries/", deliveries, name="webhook_deliveries"),
    path("<int:pk>/deliveries/<int:delivery_id>/redeliver/", delivery_redeliver, name="webhook_redeliver"),
]
