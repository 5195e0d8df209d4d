"""The websockets of an ended session are told live and closed; the new session's stay open."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from pvz.config.asgi import application
from pvz.realtime.consumers import CLOSE_FORBIDDEN, CLOSE_SESSION_ENDED
from pvz.usersessions.services import user_sessions_end
from tests.factories import PickupPointFactory, operator_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

BACKEND = "pvz.accounts.backends.PhoneCodeBackend"


def _socket(point_id: int, session_key: str) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://localhost"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()),
    ]
    return WebsocketCommunicator(application, f"/ws/points/{point_id}/", headers=headers)


@sync_to_async
def _sign_in(user) -> str:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client.session.session_key


async def _open(point_id: int, session_key: str) -> WebsocketCommunicator:
    socket = _socket(point_id, session_key)
    connected, _ = await socket.connect()
    assert connected is True
    assert (await socket.receive_json_from(timeout=5))["type"] == "counts"
    return socket


@pytest.fixture
def point():
    return PickupPointFactory()


@pytest.fixture
def user(point):
    return operator_at(point)


async def test_a_new_login_tells_the_old_sessions_socket_and_closes_it_but_not_the_new_ones(point, user):
    old_key = await _sign_in(user)
    old_socket = await _open(point.pk, old_key)

    new_key = await _sign_in(user)
    new_socket = await _open(point.pk, new_key)

    assert await old_socket.receive_json_from(timeout=5) == {
        "type": "session_ended",
        "reason": "new_login",
        "message": "Вы вошли на другом устройстве. Сеанс на этом устройстве завершён.",
    }
    assert await old_socket.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": CLOSE_SESSION_ENDED,
    }
    assert await new_socket.receive_nothing(timeout=0.3) is True
    await new_socket.disconnect()


async def test_every_socket_of_an_ended_session_is_closed(point, user):
    key = await _sign_in(user)
    sockets = [await _open(point.pk, key), await _open(point.pk, key)]

    ended = await sync_to_async(user_sessions_end)(user=user, reason="suspended")

    assert ended == 1
    for socket in sockets:
        message = await socket.receive_json_from(timeout=5)
        assert (message["type"], message["reason"]) == ("session_ended", "suspended")
        assert (await socket.receive_output(timeout=5))["code"] == CLOSE_SESSION_ENDED


async def test_the_ended_sessions_cookie_cannot_open_a_socket_again(point, user):
    old_key = await _sign_in(user)
    await _sign_in(user)

    connected, code = await _socket(point.pk, old_key).connect()

    assert (connected, code) == (False, CLOSE_FORBIDDEN)


async def test_the_kept_sessions_socket_hears_nothing_when_the_others_end(point, user):
    key = await _sign_in(user)
    socket = await _open(point.pk, key)

    await sync_to_async(user_sessions_end)(user=user, reason="password_reset", keep_session_key=key)

    assert await socket.receive_nothing(timeout=0.3) is True
    await socket.disconnect()


async def test_another_users_login_does_not_touch_this_users_socket(point, user):
    socket = await _open(point.pk, await _sign_in(user))

    await _sign_in(await sync_to_async(operator_at)(point))

    assert await socket.receive_nothing(timeout=0.3) is True
    await socket.disconnect()
