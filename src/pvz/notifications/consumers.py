"""ws/notifications/: the signed-in person's own in-app messages, live. Sends {"type": "unread", "unread": n}
on connect and {"type": "message", "id", "kind", "title", "text", "link", "unread"} for each new message
(or only the new unread count after "mark read"). Anonymous sockets are refused."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from pvz.notifications.selectors import staff_unread_count
from pvz.notifications.staff_services import user_group
from pvz.usersessions.broadcast import session_group
from pvz.usersessions.models import session_key_hash

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
        # Ending this session elsewhere closes the socket, as it does the point's (pvz.usersessions).
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            self.session_group = session_group(session_key_hash(session_key))
            await self.channel_layer.group_add(self.session_group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "unread", "unread": await _unread(user)})

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.session_group is not None:
            await self.channel_layer.group_discard(self.session_group, self.channel_name)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SESSION_ENDED)

    async def staff_message(self, event: dict[str, Any]) -> None:
        if "id" in event:
            keys = ("id", "kind", "title", "text", "link", "unread")
            await self.send_json({"type": "message", **{key: event.get(key) for key in keys}})
        else:
            await self.send_json({"type": "unread", "unread": event.get("unread", 0)})
