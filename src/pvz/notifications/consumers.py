"""ws/notifications/: the signed-in person's own in-app messages, live. Sends {"type": "unread", "unread": n}
on connect and {"type": "message", "id", "kind", "title", "text", "link", "unread"} for each new message
(or only the new unread count after "mark read"). Anonymous sockets are refused."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from pvz.notifications.selectors import staff_unread_count
from pvz.notifications.staff_services import user_group
from pvz.usersessions.broadcast import groups_leave, session_group_join

# The same codes as the point consumer's (pvz.realtime.consumers).
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4401


@database_sync_to_async
def _unread(user: Any) -> int:
    return staff_unread_count(user=user)


class StaffMessagesConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    session_group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.session_group = await session_group_join(self.channel_layer, self.channel_name, self.scope)
        await self.accept()
        await self.send_json({"type": "unread", "unread": await _unread(user)})

    async def disconnect(self, code: int) -> None:
        await groups_leave(self.channel_layer, self.channel_name, self.group, self.session_group)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SESSION_ENDED)

    async def staff_message(self, event: dict[str, Any]) -> None:
        if "id" in event:
            keys = ("id", "kind", "title", "text", "link", "unread")
            await self.send_json({"type": "message", **{key: event.get(key) for key in keys}})
        else:
            await self.send_json({"type": "unread", "unread": event.get("unread", 0)})
