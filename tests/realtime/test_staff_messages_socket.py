"""ws/notifications/: a person's own messages live; the unread count on connect and after each message."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from pvz.config.asgi import application
from pvz.notifications.consumers import CLOSE_FORBIDDEN
from pvz.notifications.models import StaffKind
from pvz.notifications.staff_services import staff_messages_mark_read, staff_notify
from tests.factories import PickupPointFactory, operator_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _socket(session_key: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if session_key is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


def _signed_in():  # type: ignore[no-untyped-def]
    point = PickupPointFactory()
    user = operator_at(point)
    client = Client()
    client.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")
    return point, user, client.session.session_key


def _alert(user, point, key: str) -> None:  # type: ignore[no-untyped-def]
    staff_notify(
        kind=StaffKind.ANOMALY_ALERT, key=key, users=[user], point=point, render=lambda: ("Тревога", "Текст")
    )


async def test_an_anonymous_socket_is_refused() -> None:
    connected, code = await _socket().connect()

    assert (connected, code) == (False, CLOSE_FORBIDDEN)


async def test_a_person_gets_the_unread_count_then_each_new_message_then_zero_after_reading() -> None:
    point, user, session_key = await sync_to_async(_signed_in)()
    await sync_to_async(_alert)(user, point, "old")
    socket = _socket(session_key)

    connected, _ = await socket.connect()

    assert connected is True
    assert await socket.receive_json_from(timeout=5) == {"type": "unread", "unread": 1}
    await sync_to_async(_alert)(user, point, "new")
    message = await socket.receive_json_from(timeout=5)
    assert {key: message[key] for key in ("type", "kind", "title", "text", "link", "unread")} == {
        "type": "message",
        "kind": "anomaly_alert",
        "title": "Тревога",
        "text": "Текст",
        "link": "",
        "unread": 2,
    }
    await sync_to_async(staff_messages_mark_read)(user=user)
    assert await socket.receive_json_from(timeout=5) == {"type": "unread", "unread": 0}
    await socket.disconnect()


async def test_another_persons_message_does_not_reach_the_socket() -> None:
    point, _user, session_key = await sync_to_async(_signed_in)()
    other = await sync_to_async(operator_at)(point)
    socket = _socket(session_key)
    await socket.connect()
    assert await socket.receive_json_from(timeout=5) == {"type": "unread", "unread": 0}

    await sync_to_async(_alert)(other, point, "theirs")

    assert await socket.receive_nothing(timeout=0.5) is True
    await socket.disconnect()
