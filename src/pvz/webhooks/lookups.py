"""Ids an outbox event keeps in `lookups`, turned into payload fields by the fan-out for a whole batch:
the event is written with one INSERT and no reads, and the fan-out resolves each kind of id in one query.

`point_id` (the point's code) is resolved here. Other kinds are registered by the app that writes them, at
start-up (`AppConfig.ready`), so that webhooks imports none of the apps that report through it: `order_id`
by shipments. An event with a kind nobody registered fails the fan-out rather than going out without it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pvz.network.models import PickupPoint
from pvz.webhooks.models import OutboxEvent


@dataclass(frozen=True)
class Lookup:
    resolve: Callable[[set[int]], dict[int, str]]  # ids → values, in one query
    place: Callable[[dict[str, Any], str], None]  # puts a value into the payload


def _point_codes(ids: set[int]) -> dict[int, str]:
    return dict(PickupPoint.objects.filter(pk__in=ids).values_list("pk", "code"))


def _place_point_code(payload: dict[str, Any], code: str) -> None:
    payload["point_code"] = code


_LOOKUPS: dict[str, Lookup] = {"point_id": Lookup(_point_codes, _place_point_code)}


def lookup_register(name: str, lookup: Lookup) -> None:
    """Teach the fan-out a kind of id (idempotent: an app's `ready` may run twice in tests)."""
    _LOOKUPS[name] = lookup


def lookups_resolve(events: Iterable[OutboxEvent]) -> None:
    """Fill every event's payload from its `lookups` and empty them: one query per kind of id."""
    pending = [event for event in events if event.lookups]
    ids: dict[str, set[int]] = {}
    for event in pending:
        for name, value in event.lookups.items():
            if name not in _LOOKUPS:
                raise LookupError(f"outbox lookup {name!r} has no resolver (event {event.event_id})")
            ids.setdefault(name, set()).add(value)
    values = {name: _LOOKUPS[name].resolve(wanted) for name, wanted in ids.items()}
    for event in pending:
        for name, value in event.lookups.items():
            _LOOKUPS[name].place(event.payload, values[name].get(value, ""))
        event.lookups = {}
