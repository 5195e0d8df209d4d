"""Live notice to the websockets of one session (one channel-layer group per session)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvz.core.broadcast import group_publish
from pvz.usersessions.models import session_key_hash


def session_group(key_hash: str) -> str:
    """The group every websocket opened under one session joins; named by the key's hash, so the channel
    layer (Redis) never holds a usable session key."""
    return f"session.{key_hash[:48]}"


def sessions_ended_push(key_hashes: list[str], *, reason: str) -> None:
    for key_hash in key_hashes:
        group_publish(session_group(key_hash), {"type": "session.ended", "reason": reason})


async def session_group_join(channel_layer: Any, channel_name: str, scope: Mapping[str, Any]) -> str | None:
    """Join the websocket to the group of the session it was opened under, so ending that session closes it
    (only it: the user's other, newer session has another group); the group joined, None without a session."""
    session_key = getattr(scope.get("session"), "session_key", None)
    if not session_key:
        return None
    group = session_group(session_key_hash(session_key))
    await channel_layer.group_add(group, channel_name)
    return group


async def groups_leave(channel_layer: Any, channel_name: str, *groups: str | None) -> None:
    """Take the websocket out of each group it joined (None: one it did not)."""
    for group in groups:
        if group is not None:
            await channel_layer.group_discard(group, channel_name)
