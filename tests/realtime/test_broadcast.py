"""Live pushes: a plain PUBLISH reaches consumers of the Redis pub/sub layer, busy topics are coalesced to at
most one message per key every 250 ms (the latest one wins), and the in-memory layer gets every push."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from pvz.core.broadcast import COALESCE_SECONDS, group_publish, point_changed

# As the other socket tests: without the database mark, pytest-asyncio's runner refused to start after
# the browser tests' Playwright session in the same run ("cannot be called from a running event loop").
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_layer(settings):
    """The production channel layer (Redis pub/sub) with a prefix of this test alone."""
    if not _redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is required when CI=true")
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": "redis://127.0.0.1:6379/0"}],
                "prefix": f"pvztest{uuid.uuid4().hex[:12]}",
            },
        }
    }
    return get_channel_layer()


async def _listening(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await asyncio.sleep(0.05)  # the SUBSCRIBE reaches Redis before anything is published
    return channel


async def _received(layer, channel: str, within: float) -> list[dict]:
    messages = []
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout=left))
        except TimeoutError:
            break
    return messages


async def test_a_publish_reaches_a_consumer_of_the_redis_layer(redis_layer):
    channel = await _listening(redis_layer, "point.7")

    await sync_to_async(point_changed)(7, topic="shipment", data={"id": 1, "status": "STORED"})

    [message] = await _received(redis_layer, channel, within=1.0)
    assert message == {"type": "point.changed", "topic": "shipment", "data": {"id": 1, "status": "STORED"}}


async def test_any_group_message_goes_the_same_way(redis_layer):
    channel = await _listening(redis_layer, "session.abc")

    await sync_to_async(group_publish)("session.abc", {"type": "session.ended", "reason": "new_login"})

    assert await _received(redis_layer, channel, within=1.0) == [
        {"type": "session.ended", "reason": "new_login"}
    ]


async def test_a_busy_key_sends_the_first_at_once_then_only_the_latest_after_250_ms(redis_layer):
    channel = await _listening(redis_layer, "point.8")

    def burst() -> None:
        for n in range(5):
            point_changed(8, topic="acceptance", data={"n": n}, coalesce="acceptance:1")

    started = time.monotonic()
    await sync_to_async(burst)()
    first = await _received(redis_layer, channel, within=0.1)
    rest = await _received(redis_layer, channel, within=COALESCE_SECONDS + 0.4)

    assert [m["data"]["n"] for m in first] == [0]
    assert [m["data"]["n"] for m in rest] == [4]
    assert time.monotonic() - started >= COALESCE_SECONDS


async def test_keys_are_coalesced_separately(redis_layer):
    channel = await _listening(redis_layer, "point.9")

    def two_acceptances() -> None:
        point_changed(9, topic="acceptance", data={"a": 1}, coalesce="acceptance:1")
        point_changed(9, topic="acceptance", data={"a": 2}, coalesce="acceptance:2")

    await sync_to_async(two_acceptances)()

    received = await _received(redis_layer, channel, within=0.2)
    assert sorted(m["data"]["a"] for m in received) == [1, 2]


async def test_the_in_memory_layer_gets_every_push_at_once(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("point.10", channel)

    for n in range(3):
        await sync_to_async(point_changed)(10, topic="acceptance", data={"n": n}, coalesce="acceptance:1")

    received = [await asyncio.wait_for(layer.receive(channel), timeout=1) for _ in range(3)]
    assert [m["data"]["n"] for m in received] == [0, 1, 2]
