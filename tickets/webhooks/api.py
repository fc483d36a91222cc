"""/api/v1/webhooks/: the webhook endpoints, their delivery logs, "redeliver" and "send a test"
(admins only: everyone else gets 403 before any endpoint is looked up, as on /api/v1/invites/).

The signing secret is in the answer to the create (``secret``), and never again. Writes go
through ``tickets.webhooks.services`` (the same checks as Settings → Webhooks, the audit log).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsAdministrator
from tickets.webhooks import services
from tickets.webhooks.models import DisabledReason, EventType, WebhookDelivery, WebhookEndpoint


class EndpointOut(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    disabled_reason = serializers.ChoiceField(choices=DisabledReason.choices, help_text='"" while active.')

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "name", "url", "events", "internal", "active", "disabled_reason", "consecutive_failures",
            "last_success_at", "last_failure_at", "created_at", "updated_at",
        ]  # fmt: skip


class EndpointCreatedOut(EndpointOut):
    secret = serializers.CharField(help_text="The signing secret (whsec_…): shown in this answer only.")

    class Meta(EndpointOut.Meta):
        fields = [*EndpointOut.Meta.fields, "secret"]


class EndpointIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=2000, help_text="http(s); private addresses need the allow-list.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), min_length=1)
    internal = serializers.BooleanField(required=False, default=False, help_text="Receives internal notes.")


class EndpointPatchIn(EndpointIn):
    active = serializers.BooleanField(required=False, help_text="false pauses it; true resumes it.")


class DeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "message_id", "event_type", "ticket_id", "state", "attempts", "next_attempt_at",
            "last_attempt_at", "response_status", "response_excerpt", "error", "delivered_at", "created_at", "payload",
        ]  # fmt: skip


def _endpoints():
    return WebhookEndpoint.objects.order_by("id")


class EndpointList(generics.GenericAPIView):
    serializer_class = EndpointOut
    permission_classes = [IsAuthenticated, IsAdministrator]
    ordering_fields = {"id": "id", "name": "name"}
    default_ordering = "id"

    def get_queryset(self):
        return _endpoints()

    @extend_schema(summary="Webhook endpoints (admins)")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(EndpointOut(page, many=True).data)

    @extend_schema(
        summary="Register a webhook endpoint (admins)", request=EndpointIn, responses={201: EndpointCreatedOut}
    )
    def post(self, request):
        given = EndpointIn(data=request.data)
        given.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(actor=request.user, **given.validated_data)
        endpoint.secret = secret  # the plain secret, for this answer only
        return Response(EndpointCreatedOut(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetail(generics.GenericAPIView):
    serializer_class = EndpointOut
    permission_classes = [IsAuthenticated, IsAdministrator]

    def get_object(self):
        return generics.get_object_or_404(_endpoints(), pk=self.kwargs["pk"])

    @extend_schema(summary="A webhook endpoint (admins)")
    def get(self, request, pk):
        return Response(EndpointOut(self.get_object()).data)

    @extend_schema(summary="Change, pause or resume a webhook endpoint (admins)", request=EndpointPatchIn)
    def patch(self, request, pk):
        endpoint = self.get_object()
        if not isinstance(request.data, dict):
            raise ParseError(_("Send a JSON object."))
        given = EndpointPatchIn(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(given.validated_data)
        active = changes.pop("active", None)
        if changes:
            services.endpoint_update(endpoint, actor=request.user, **changes)
        if active is not None and active != endpoint.active:
            services.endpoint_set_active(endpoint, actor=request.user, active=active)
        return Response(EndpointOut(self.get_object()).data)

    @extend_schema(summary="Delete a webhook endpoint and its delivery log (admins)", responses={204: None})
    def delete(self, request, pk):
        services.endpoint_delete(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryList(generics.GenericAPIView):
    serializer_class = DeliveryOut
    permission_classes = [IsAuthenticated, IsAdministrator]
    ordering_fields = {"created_at": "created_at"}
    default_ordering = "-created_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no endpoint to look up
            return WebhookDelivery.objects.none()
        endpoint = generics.get_object_or_404(_endpoints(), pk=self.kwargs["pk"])
        return WebhookDelivery.objects.filter(endpoint=endpoint)

    @extend_schema(summary="An endpoint's delivery log, newest first (admins)")
    def get(self, request, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DeliveryOut(page, many=True).data)


class DeliveryRedeliver(generics.GenericAPIView):
    serializer_class = DeliveryOut
    permission_classes = [IsAuthenticated, IsAdministrator]

    @extend_schema(summary="Send a delivery again: same webhook-id and payload (admins)", request=None)
    def post(self, request, pk, delivery_id):
        endpoint = generics.get_object_or_404(_endpoints(), pk=pk)
        delivery = generics.get_object_or_404(WebhookDelivery.objects.filter(endpoint=endpoint), pk=delivery_id)
        return Response(DeliveryOut(services.redeliver(delivery)).data, status=status.HTTP_202_ACCEPTED)


class SecretOut(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret (whsec_…): shown in this answer only.")


class EndpointSecret(generics.GenericAPIView):
    serializer_class = SecretOut
    permission_classes = [IsAuthenticated, IsAdministrator]

    @extend_schema(summary="Replace the signing secret; the new one is in this answer only (admins)", request=None)
    def post(self, request, pk):
        endpoint = generics.get_object_or_404(_endpoints(), pk=pk)
        return Response(SecretOut({"secret": services.endpoint_rotate_secret(endpoint, actor=request.user)}).data)


class EndpointTest(generics.GenericAPIView):
    serializer_class = DeliveryOut
    permission_classes = [IsAuthenticated, IsAdministrator]

    @extend_schema(summary="Send a webhook.test message now; the answer is the delivery (admins)", request=None)
    def post(self, request, pk):
        endpoint = generics.get_object_or_404(_endpoints(), pk=pk)
        return Response(DeliveryOut(services.send_test(endpoint, actor=request.user)).data)


urlpatterns = [
    path("webhooks/", EndpointList.as_view(), name="webhook-list"),
    path("webhooks/<id:pk>/", EndpointDetail.as_view(), name="webhook-detail"),
    path("webhooks/<id:pk>/test/", EndpointTest.as_view(), name="webhook-test"),
    path("webhooks/<id:pk>/secret/", EndpointSecret.as_view(), name="webhook-secret"),
    path("webhooks/<id:pk>/deliveries/", DeliveryList.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<id:pk>/deliveries/<id:delivery_id>/redeliver/",
        DeliveryRedeliver.as_view(),
        name="webhook-redeliver",
    ),
]
