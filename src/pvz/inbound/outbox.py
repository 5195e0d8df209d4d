"""The partner's copy of a carriage's new state in the webhooks outbox, written in the change's
transaction; the fan-out fills in the point code."""

from __future__ import annotations

import datetime as dt
import uuid

from pvz.core.clock import iso_utc
from pvz.inbound.models import Carriage
from pvz.webhooks.models import EventType, OutboxEvent


def outbox_carriage_event(carriage: Carriage, *, at: dt.datetime) -> OutboxEvent:
    """Write the partner's copy of a carriage's new state into the outbox, in the caller's transaction;
    one INSERT, the point code resolved by the fan-out. Direct carriages: status, ETA, arrival, close;
    return carriages (`flow` "return"): created (planned) and handed over (closed, `closed_at`)."""
    data: dict[str, object] = {
        "carriage": {"number": carriage.number, "flow": carriage.flow},
        "status": carriage.status,
        "eta": iso_utc(carriage.eta) if carriage.eta else None,
        "arrived_at": iso_utc(carriage.arrived_at) if carriage.arrived_at else None,
        "closed_at": iso_utc(carriage.closed_at) if carriage.closed_at else None,
        "at": iso_utc(at),
    }
    return OutboxEvent.objects.create(
        event_id=f"evt_{uuid.uuid4().hex}",
        partner_id=carriage.partner_id,
        type=EventType.CARRIAGE_UPDATED,
        ordering_key=f"carriage:{carriage.pk}",
        payload=data,
        lookups={"point_id": carriage.point_id},
        created_at=at,
    )
