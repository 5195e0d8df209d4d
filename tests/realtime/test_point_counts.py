import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from pvz.config.asgi import application
from pvz.core.broadcast import point_changed
from pvz.realtime.consumers import CLOSE_FORBIDDEN
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, ShipmentFactory, operator_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ZERO = {"expected_today": 0, "stored": 0, "expiring_today": 0, "awaiting_dispatch": 0, "cancelled": 0}


def _socket(point_id: int, session_key: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if session_key is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    return WebsocketCommunicator(application, f"/ws/points/{point_id}/", headers=headers)


@pytest.fixture
def point():
    return PickupPointFactory()


@pytest.fixture
def member_session(point) -> str:
    client = Client()
    client.force_login(operator_at(point), backend="pvz.accounts.backends.PhoneCodeBackend")
    return client.session.session_key


async def test_an_anonymous_socket_is_refused(point):
    socket = _socket(point.pk)

    connected, code = await socket.connect()

    assert connected is False
    assert code == CLOSE_FORBIDDEN


async def test_a_user_of_another_point_is_refused(point):
    client = Client()
    await sync_to_async(client.force_login)(
        await sync_to_async(operator_at)(await sync_to_async(PickupPointFactory)()),
        backend="pvz.accounts.backends.PhoneCodeBackend",
    )
    session_key = await sync_to_async(lambda: client.session.session_key)()

    connected, code = await _socket(point.pk, session_key).connect()

    assert connected is False
    assert code == CLOSE_FORBIDDEN


async def test_a_member_gets_counts_on_connect_and_again_after_a_change_at_the_point(point, member_session):
    socket = _socket(point.pk, member_session)

    connected, _ = await socket.connect()

    assert connected is True
    assert await socket.receive_json_from(timeout=5) == {"type": "counts", "counts": ZERO}

    await sync_to_async(ShipmentFactory)(point=point, status=Status.STORED)
    await sync_to_async(point_changed)(point.pk, topic="shipment", data={})

    assert await socket.receive_json_from(timeout=5) == {"type": "counts", "counts": {**ZERO, "stored": 1}}
    await socket.disconnect()


async def test_a_change_at_another_point_sends_nothing(point, member_session):
    other = await sync_to_async(PickupPointFactory)()
    socket = _socket(point.pk, member_session)
    await socket.connect()
    await socket.receive_json_from(timeout=5)

    await sync_to_async(point_changed)(other.pk, topic="shipment", data={})

    assert await socket.receive_nothing(timeout=0.5) is True
    await socket.disconnect()


async def test_an_inventory_push_sends_the_counts_then_the_counts_progress(point, member_session):
    socket = _socket(point.pk, member_session)
    await socket.connect()
    await socket.receive_json_from(timeout=5)
    progress = {
        "status": "OPEN",
        "cells_scanned": 2,
        "cells_in_scope": 40,
        "parcels_found": 5,
        "parcels_expected": 31,
        "misplaced": 1,
        "unknown": 0,
    }

    await sync_to_async(point_changed)(
        point.pk, topic="inventory", data={"inventory_id": 7, "zone": "A", **progress}
    )

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    assert await socket.receive_json_from(timeout=5) == {
        "type": "inventory",
        "inventory_id": 7,
        "progress": progress,
    }
    await socket.disconnect()


async def test_an_inventory_push_without_its_progress_sends_only_the_counts(point, member_session):
    socket = _socket(point.pk, member_session)
    await socket.connect()
    await socket.receive_json_from(timeout=5)

    await sync_to_async(point_changed)(point.pk, topic="inventory", data={"inventory_id": 7})

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    assert await socket.receive_nothing(timeout=0.5) is True
    await socket.disconnect()
