"""Reads of the webhooks app for the platform admins' screens: a partner's endpoints, its delivery log
and dead-letter list."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from pvz.network.models import Partner
from pvz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

DELIVERIES_PAGE_SIZE = 50


def partner_endpoints(*, partner: Partner) -> QuerySet[WebhookEndpoint]:
    """Active endpoints first, then by creation."""
    return (
        WebhookEndpoint.objects.filter(partner=partner)
        .annotate(dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)))
        .order_by("-is_active", "id")
    )


def partner_deliveries(
    *, partner: Partner, status: str = "", event_type: str = ""
) -> QuerySet[WebhookDelivery]:
    """The partner's deliveries, newest first, optionally of one status and one event type."""
    deliveries = WebhookDelivery.objects.filter(endpoint__partner=partner).select_related("event", "endpoint")
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__type=event_type)
    return deliveries.order_by("-id")


def partner_delivery_get(*, partner: Partner, delivery_id: int) -> WebhookDelivery:
    """One delivery of the partner with its endpoint and event; DoesNotExist for another partner's."""
    return WebhookDelivery.objects.select_related("event", "endpoint").get(
        pk=delivery_id, endpoint__partner=partner
    )
