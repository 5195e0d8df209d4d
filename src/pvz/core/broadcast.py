"""Live pushes to every device of a point over the channel layer (one group per point).

Domain services call `point_changed` through `after_commit`; realtime consumers listen on the group.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def point_group(point_id: int) -> str:
    return f"point.{point_id}"


def point_changed(point_id: int, *, topic: str, data: dict[str, Any] | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        point_group(point_id), {"type": "point.changed", "topic": topic, "data": data or {}}
    )
