"""The partner's copy of a shipment event in the webhooks outbox, written in the event's transaction (the
PostgreSQL hot-path functions write the same row themselves: shipments migration 0007). The fan-out
(`webhooks.services.webhooks_fan_out`) fills in the order number from the `order_id` kept in `lookups`,
with the resolver this app registers at start-up (`ShipmentsConfig.ready`)."""

from __future__ import annotations

import uuid

from pvz.core.clock import iso_utc
from pvz.shipments.models import EventKind, Order, ShipmentEvent
from pvz.webhooks.models import EventType, OutboxEvent

_TYPE_OF_KIND = {
    EventKind.TRANSITION: EventType.SHIPMENT_STATUS_CHANGED,
    EventKind.MOVE: EventType.SHIPMENT_MOVED,
    EventKind.EXTENSION: EventType.SHIPMENT_STORAGE_EXTENDED,
}


def outbox_shipment_event(event: ShipmentEvent) -> OutboxEvent:
    """Write the partner's copy of a shipment event into the outbox, in the caller's transaction.

    One INSERT and no reads: everything comes from the event and its (locked, loaded) shipment row;
    the order number and point code are resolved by the fan-out from the ids kept in `lookups`.
    No customer personal data goes into the payload."""
    shipment = event.shipment
    data: dict[str, object] = {
        "shipment": {"barcode": shipment.barcode, "posting_number": shipment.posting_number},
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "visit": event.visit,
        "at": iso_utc(event.at),
    }
    if event.kind == EventKind.EXTENSION:
        data["storage_deadline"] = iso_utc(shipment.storage_deadline) if shipment.storage_deadline else None
    return OutboxEvent.objects.create(
        event_id=f"evt_{uuid.uuid4().hex}",
        partner_id=shipment.partner_id,
        type=_TYPE_OF_KIND[EventKind(event.kind)],
        ordering_key=f"shipment:{shipment.pk}",
        payload=data,
        lookups={"order_id": shipment.order_id, "point_id": event.point_id},
        created_at=event.at,
    )


def order_numbers(ids: set[int]) -> dict[int, str]:
    """Order numbers by order id, for the fan-out's `order_id` lookups (one query per batch)."""
    return dict(Order.objects.filter(pk__in=ids).values_list("pk", "number"))


def place_order_number(payload: dict[str, object], number: str) -> None:
    shipment = payload["shipment"]
    assert isinstance(shipment, dict)
    shipment["order_number"] = number
