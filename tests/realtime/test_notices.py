"""The point's socket forwards approaching carriages and acceptance progress, besides the counts."""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from pvz.config.asgi import application
from pvz.core.broadcast import point_changed
from pvz.core.clock import use_clock
from pvz.inbound.models import Acceptance
from pvz.inbound.services import carriage_eta_update
from tests.factories import PickupPointFactory, operator_at
from tests.inbound.conftest import load_delivery

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _socket(point_id: int, session_key: str) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://localhost"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()),
    ]
    return WebsocketCommunicator(application, f"/ws/points/{point_id}/", headers=headers)


@pytest.fixture
def point():
    return PickupPointFactory()


@pytest.fixture
def member_session(point) -> str:
    client = Client()
    client.force_login(operator_at(point), backend="pvz.accounts.backends.PhoneCodeBackend")
    return client.session.session_key


async def _connected(point, session_key) -> WebsocketCommunicator:
    socket = _socket(point.pk, session_key)
    connected, _ = await socket.connect()
    assert connected is True
    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    return socket


async def test_an_eta_change_sends_the_approaching_carriages_after_the_counts(
    point, member_session, clock
) -> None:
    carriage = await sync_to_async(load_delivery)(point=point, eta=clock.now() + dt.timedelta(hours=3))
    socket = await _connected(point, member_session)

    def soon() -> None:
        with use_clock(clock):
            carriage_eta_update(actor=None, carriage=carriage, eta=clock.now() + dt.timedelta(minutes=20))

    await sync_to_async(soon)()

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    assert await socket.receive_json_from(timeout=5) == {
        "type": "carriages",
        "approaching": [
            {
                "id": carriage.pk,
                "number": carriage.number,
                "partner": carriage.partner.name,
                "eta": "2026-11-27T10:20:00+03:00",
                "minutes": 20,
            }
        ],
    }
    await socket.disconnect()


async def test_a_carriage_push_without_the_list_gets_it_recomputed(point, member_session) -> None:
    socket = await _connected(point, member_session)

    await sync_to_async(point_changed)(point.pk, topic="carriage", data={"id": 1})

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    assert await socket.receive_json_from(timeout=5) == {"type": "carriages", "approaching": []}
    await socket.disconnect()


async def test_an_acceptance_push_sends_its_progress(point, member_session, clock) -> None:
    progress = {
        "status": "open",
        "scanned": 3,
        "expected": 6,
        "surplus": 1,
        "totes": [{"barcode": "%101%1", "status": "full", "scanned": 3, "expected": 4}],
    }
    socket = await _connected(point, member_session)

    await sync_to_async(point_changed)(
        point.pk,
        topic="acceptance",
        data={"acceptance_id": 7, "carriage_id": 2, "operator_id": 5, **progress},
    )

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    assert await socket.receive_json_from(timeout=5) == {
        "type": "acceptance",
        "acceptance_id": 7,
        "progress": progress,
    }
    await socket.disconnect()


async def test_an_acceptance_push_without_progress_gets_it_from_the_database(
    point, member_session, clock
) -> None:
    def open_one() -> Acceptance:
        carriage = load_delivery(point=point, parcels=6, totes=2)
        return Acceptance.objects.create(carriage=carriage, opened_at=clock.now())

    acceptance = await sync_to_async(open_one)()
    socket = await _connected(point, member_session)

    await sync_to_async(point_changed)(point.pk, topic="acceptance", data={"acceptance_id": acceptance.pk})

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "acceptance"
    assert message["acceptance_id"] == acceptance.pk
    assert (
        message["progress"]["status"],
        message["progress"]["scanned"],
        message["progress"]["expected"],
    ) == (
        "open",
        0,
        6,
    )
    assert len(message["progress"]["totes"]) == 2
    await socket.disconnect()


async def test_another_points_acceptance_is_not_recomputed_for_this_socket(
    point, member_session, clock
) -> None:
    def open_elsewhere() -> Acceptance:
        carriage = load_delivery(point=PickupPointFactory())
        return Acceptance.objects.create(carriage=carriage, opened_at=clock.now())

    foreign = await sync_to_async(open_elsewhere)()
    socket = await _connected(point, member_session)

    await sync_to_async(point_changed)(point.pk, topic="acceptance", data={"acceptance_id": foreign.pk})

    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    assert await socket.receive_nothing(timeout=0.5) is True
    await socket.disconnect()
