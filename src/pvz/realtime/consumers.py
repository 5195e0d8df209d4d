"""Live updates for every device of a point: dashboard counts, approaching carriages, acceptance and
inventory progress."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from pvz.accounts.selectors import points_for_user
from pvz.core import clock
from pvz.core.broadcast import point_group
from pvz.inbound.models import Acceptance
from pvz.inbound.selectors import acceptance_progress_data, carriages_approaching_data
from pvz.network.models import PickupPoint
from pvz.shipments.selectors import point_dashboard_counts
from pvz.usersessions.broadcast import groups_leave, session_group_join
from pvz.usersessions.messages import session_ended_message

# Sent instead of accepting: the browser sees a refused handshake, the test sees this code.
CLOSE_FORBIDDEN = 4403
# Sent after {"type": "session_ended"}: the session was ended elsewhere (usersessions).
CLOSE_SESSION_ENDED = 4401


@database_sync_to_async
def _point_for(user: Any, point_id: int) -> PickupPoint | None:
    if user is None or not user.is_authenticated:
        return None
    return points_for_user(user=user).filter(pk=point_id).first()


@database_sync_to_async
def _counts(point: PickupPoint) -> dict[str, int]:
    return point_dashboard_counts(point=point).as_dict()


@database_sync_to_async
def _approaching(point: PickupPoint) -> list[dict[str, Any]]:
    return carriages_approaching_data(point=point, now=clock.now())


@database_sync_to_async
def _progress(point: PickupPoint, acceptance_id: int) -> dict[str, Any] | None:
    acceptance = Acceptance.objects.filter(pk=acceptance_id, carriage__point=point).first()
    return None if acceptance is None else acceptance_progress_data(acceptance=acceptance)


# Keys of an "inventory" push: the count's progress (`inventory.selectors.CountProgress`).
_INVENTORY_KEYS = (
    "status",
    "cells_scanned",
    "cells_in_scope",
    "parcels_found",
    "parcels_expected",
    "misplaced",
    "unknown",
)
# Keys of an "acceptance" push that describe the progress (the rest say who did what).
_PROGRESS_KEYS = ("status", "scanned", "expected", "surplus", "totes")


class PointCountsConsumer(AsyncJsonWebsocketConsumer):
    """ws/points/<point_id>/: sends {"type": "counts", "counts": {...}} on connect and after every change
    pushed to the point's group; after a "carriage" change also {"type": "carriages", "approaching": [...]}
    and after an "acceptance" change {"type": "acceptance", "acceptance_id": …, "progress": {...}}.
    Anonymous users and users without access to the point are refused."""

    point: PickupPoint | None = None
    group: str | None = None
    session_group: str | None = None

    async def connect(self) -> None:
        point_id = int(self.scope["url_route"]["kwargs"]["point_id"])
        self.point = await _point_for(self.scope.get("user"), point_id)
        if self.point is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = point_group(self.point.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.session_group = await session_group_join(self.channel_layer, self.channel_name, self.scope)
        await self.accept()
        await self._send_counts()

    async def disconnect(self, code: int) -> None:
        await groups_leave(self.channel_layer, self.channel_name, self.group, self.session_group)

    async def session_ended(self, event: dict[str, Any]) -> None:
        """The session this socket was opened under has been ended: say why, then close."""
        reason = str(event.get("reason", ""))
        message = session_ended_message(reason)
        await self.send_json({"type": "session_ended", "reason": reason, "message": message})
        await self.close(code=CLOSE_SESSION_ENDED)

    async def point_changed(self, event: dict[str, Any]) -> None:
        # Counts are recomputed rather than patched from the event, so a missed event cannot leave a
        # screen wrong for longer than the next change.
        await self._send_counts()
        topic, data = event.get("topic"), event.get("data") or {}
        if topic == "carriage":
            await self._send_carriages(data)
        elif topic == "acceptance":
            await self._send_acceptance(data)
        elif topic == "inventory":
            await self._send_inventory(data)

    async def _send_carriages(self, data: dict[str, Any]) -> None:
        # Services put the list they computed at commit into the event; anything else gets it fresh.
        assert self.point is not None
        approaching = data["approaching"] if "approaching" in data else await _approaching(self.point)
        await self.send_json({"type": "carriages", "approaching": approaching})

    async def _send_acceptance(self, data: dict[str, Any]) -> None:
        assert self.point is not None
        acceptance_id = data.get("acceptance_id")
        if not isinstance(acceptance_id, int):
            return
        if all(key in data for key in _PROGRESS_KEYS):
            progress: dict[str, Any] | None = {key: data[key] for key in _PROGRESS_KEYS}
        else:
            progress = await _progress(self.point, acceptance_id)
        if progress is not None:
            await self.send_json({"type": "acceptance", "acceptance_id": acceptance_id, "progress": progress})

    async def _send_inventory(self, data: dict[str, Any]) -> None:
        # The count service puts the progress it computed at commit into the event.
        if isinstance(data.get("inventory_id"), int) and all(key in data for key in _INVENTORY_KEYS):
            progress = {key: data[key] for key in _INVENTORY_KEYS}
            await self.send_json(
                {"type": "inventory", "inventory_id": data["inventory_id"], "progress": progress}
            )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The only thing a client may ask for is a fresh copy (e.g. after waking from sleep).
        if isinstance(content, dict) and content.get("type") == "refresh":
            await self._send_counts()

    async def _send_counts(self) -> None:
        assert self.point is not None  # set in connect before any message arrives
        await self.send_json({"type": "counts", "counts": await _counts(self.point)})
