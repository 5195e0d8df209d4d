"""Live dashboard counts for every device of a point."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from pvz.accounts.selectors import points_for_user
from pvz.core.broadcast import point_group
from pvz.network.models import PickupPoint
from pvz.shipments.selectors import point_dashboard_counts

# Sent instead of accepting: the browser sees a refused handshake, the test sees this code.
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _point_for(user: Any, point_id: int) -> PickupPoint | None:
    if user is None or not user.is_authenticated:
        return None
    return points_for_user(user=user).filter(pk=point_id).first()


@database_sync_to_async
def _counts(point: PickupPoint) -> dict[str, int]:
    return point_dashboard_counts(point=point).as_dict()


class PointCountsConsumer(AsyncJsonWebsocketConsumer):
    """ws/points/<point_id>/: sends {"type": "counts", "counts": {...}} on connect and after every change
    pushed to the point's group. Anonymous users and users without access to the point are refused."""

    point: PickupPoint | None = None
    group: str | None = None

    async def connect(self) -> None:
        point_id = int(self.scope["url_route"]["kwargs"]["point_id"])
        self.point = await _point_for(self.scope.get("user"), point_id)
        if self.point is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = point_group(self.point.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send_counts()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def point_changed(self, event: dict[str, Any]) -> None:
        # Counts are recomputed rather than patched from the event, so a missed event cannot leave a
        # screen wrong for longer than the next change.
        await self._send_counts()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The only thing a client may ask for is a fresh copy (e.g. after waking from sleep).
        if isinstance(content, dict) and content.get("type") == "refresh":
            await self._send_counts()

    async def _send_counts(self) -> None:
        assert self.point is not None  # set in connect before any message arrives
        await self.send_json({"type": "counts", "counts": await _counts(self.point)})
