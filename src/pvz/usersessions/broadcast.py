"""Live notice to the websockets of one session (one channel-layer group per session)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def session_group(key_hash: str) -> str:
    """The group every websocket opened under one session joins; named by the key's hash, so the channel
    layer (Redis) never holds a usable session key."""
    return f"session.{key_hash[:48]}"


def sessions_ended_push(key_hashes: list[str], *, reason: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for key_hash in key_hashes:
        async_to_sync(layer.group_send)(session_group(key_hash), {"type": "session.ended", "reason": reason})
