"""Live pushes over the channel layer: to every device of a point (one group per point), to one person's
devices, to one session's sockets.

Domain services call `point_changed` through `after_commit`; realtime consumers listen on the groups.

A push is on the request's path, so it must cost next to nothing. With Redis (REDIS_URL) the channel layer
is channels_redis' pub/sub layer, and a push is one PUBLISH of the layer's own encoding of the message on
a kept connection of a plain Redis client: no event loop is built per call (`async_to_sync(group_send)`
cost 1.5–2.8 ms per push, a PUBLISH 0.03 ms). Without Redis (one process, the in-memory layer) the
layer's `group_send` is called as before.

Pushes of a busy topic are coalesced by key (`coalesce=`, e.g. one acceptance's progress): a message goes
out at once when nothing was sent for its key in the last 250 ms; otherwise it replaces whatever waits and
goes out when the 250 ms are over, from a small thread of the process. Screens recompute from any message,
so the last state is all that matters, and a carriage scanned by 20 operators at once costs each device
at most four updates a second. (Coalescing needs the Redis publisher, which any thread may use; on the
in-memory layer every push goes out at once.)
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from pvz.core.logging import get_logger

log = get_logger(__name__)

COALESCE_SECONDS = 0.25


def point_group(point_id: int) -> str:
    return f"point.{point_id}"


def point_changed(
    point_id: int, *, topic: str, data: dict[str, Any] | None = None, coalesce: str | None = None
) -> None:
    """Tell the point's devices that `topic` changed (`data` as the consumers expect it)."""
    message = {"type": "point.changed", "topic": topic, "data": data or {}}
    if coalesce is not None and _redis_publisher() is not None:
        _coalescer().submit(f"{point_id}:{coalesce}", point_group(point_id), message)
    else:
        group_publish(point_group(point_id), message)


def group_publish(group: str, message: dict[str, Any]) -> None:
    """Send `message` to every consumer in `group`, now."""
    publisher = _redis_publisher()
    if publisher is not None:
        publisher.publish(group, message)
        return
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


class _RedisPublisher:
    """PUBLISH on the channel a RedisPubSubChannelLayer listens on for a group, in the layer's encoding."""

    def __init__(self, layer: Any, address: str, prefix: str) -> None:
        import redis  # noqa: PLC0415 (only a server with Redis configured loads the client)

        self.layer = layer
        self.prefix = prefix
        self.client = redis.Redis.from_url(address, socket_timeout=5, socket_connect_timeout=5)

    def publish(self, group: str, message: dict[str, Any]) -> None:
        self.client.publish(f"{self.prefix}__group__{group}", self.layer.serialize(message))


# By process (a forked worker needs its own connection) and layer (tests switch layers).
_publishers: dict[tuple[int, int], _RedisPublisher | None] = {}


def _redis_publisher() -> _RedisPublisher | None:
    """This process's publisher when the channel layer is Redis pub/sub, else None."""
    layer = get_channel_layer()
    key = (os.getpid(), id(layer))
    if key not in _publishers:
        _publishers[key] = None
        config: dict[str, Any] = settings.CHANNEL_LAYERS.get("default", {})
        if layer is not None and config.get("BACKEND", "").endswith("RedisPubSubChannelLayer"):
            host = config["CONFIG"]["hosts"][0]
            address = host["address"] if isinstance(host, dict) else host
            _publishers[key] = _RedisPublisher(layer, address, config["CONFIG"].get("prefix", "asgi"))
    return _publishers[key]


class _Coalescer:
    """At most one message per key every COALESCE_SECONDS, the latest one winning (module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.sent_at: dict[str, float] = {}
        self.waiting: dict[str, tuple[str, dict[str, Any]]] = {}
        self.thread: threading.Thread | None = None

    def submit(self, key: str, group: str, message: dict[str, Any]) -> None:
        now = time.monotonic()
        with self.lock:
            last = self.sent_at.get(key)
            if key not in self.waiting and (last is None or now - last >= COALESCE_SECONDS):
                self.sent_at[key] = now
                send_now = True
            else:
                self.waiting[key] = (group, message)
                send_now = False
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(target=self._run, name="pvz-live-pushes", daemon=True)
                    self.thread.start()
                self.lock.notify()
        if send_now:
            self._send(group, message)

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self.waiting:
                    self._forget_quiet_keys()
                    self.lock.wait(timeout=5)
                now = time.monotonic()
                due = {key: self.sent_at.get(key, 0.0) + COALESCE_SECONDS for key in self.waiting}
                ready = [key for key, at in due.items() if at <= now]
                if not ready:
                    self.lock.wait(timeout=max(0.0, min(due.values()) - now))
                    continue
                batch = [self.waiting.pop(key) for key in ready]
                for key in ready:
                    self.sent_at[key] = now
            for group, message in batch:
                self._send(group, message)

    def _forget_quiet_keys(self) -> None:
        horizon = time.monotonic() - COALESCE_SECONDS
        for key in [key for key, at in self.sent_at.items() if at < horizon]:
            del self.sent_at[key]

    @staticmethod
    def _send(group: str, message: dict[str, Any]) -> None:
        try:
            group_publish(group, message)
        except Exception:  # a lost live push is not worth a failed request or a dead thread
            log.exception("live_push_failed", group=group)


_coalescers: dict[int, _Coalescer] = {}


def _coalescer() -> _Coalescer:
    pid = os.getpid()
    if pid not in _coalescers:
        _coalescers[pid] = _Coalescer()
    return _coalescers[pid]
