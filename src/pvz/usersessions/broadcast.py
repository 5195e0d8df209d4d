"""Live notice to the websockets of one session (one channel-layer group per session)."""

from __future__ import annotations

from pvz.core.broadcast import group_publish


def session_group(key_hash: str) -> str:
    """The group every websocket opened under one session joins; named by the key's hash, so the channel
    layer (Redis) never holds a usable session key."""
    return f"session.{key_hash[:48]}"


def sessions_ended_push(key_hashes: list[str], *, reason: str) -> None:
    for key_hash in key_hashes:
        group_publish(session_group(key_hash), {"type": "session.ended", "reason": reason})
