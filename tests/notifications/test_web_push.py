"""Web Push: the payload arrives encrypted for the subscription's keys (aes128gcm) with a valid VAPID JWT,
at a local push service; a subscription the service calls gone is forgotten."""

from __future__ import annotations

import json
import time

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from pvz.notifications.models import DeliveryStatus, PushSubscription, StaffDelivery, StaffKind
from pvz.notifications.push import b64url_decode, b64url_encode, vapid_keys_generate
from pvz.notifications.staff_services import push_subscribe, staff_deliveries_send_due, staff_notify
from tests.factories import PickupPointFactory, operator_at
from tests.fakes.push_service import fake_push_service


class Browser:
    """What a browser holds for one subscription: its ECDH key pair and the auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"

    @property
    def p256dh(self) -> str:
        return b64url_encode(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def decrypt(self, body: bytes) -> bytes:
        return bytes(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def verify_vapid(header: str, *, public_key: str) -> dict[str, object]:
    """Check `vapid t=<jwt>, k=<key>`: the key is ours and the ES256 signature holds; returns the claims."""
    fields = dict(part.strip().split("=", 1) for part in header.removeprefix("vapid ").split(","))
    assert fields["k"] == public_key
    signing_input, _, signature = fields["t"].rpartition(".")
    raw = b64url_decode(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(fields["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))  # raises when forged
    header_part, claims_part = signing_input.split(".")
    assert json.loads(b64url_decode(header_part)) == {"typ": "JWT", "alg": "ES256"}
    return dict(json.loads(b64url_decode(claims_part)))


@pytest.fixture
def vapid(settings):
    keys = vapid_keys_generate()
    settings.PVZ_VAPID_PRIVATE_KEY = keys.private_key
    settings.PVZ_VAPID_PUBLIC_KEY = keys.public_key
    settings.PVZ_VAPID_SUBJECT = "mailto:ops@example.org"
    return keys


def _alert(user, point):  # type: ignore[no-untyped-def]
    staff_notify(
        kind=StaffKind.ANOMALY_ALERT,
        key="flag:1",
        users=[user],
        point=point,
        render=lambda: ("Тревога", "ПВЗ №1: тревога"),
        link="/anomalies/",
    )


@pytest.mark.django_db
def test_a_push_reaches_the_push_service_encrypted_with_a_valid_vapid_token(vapid, clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    browser = Browser()
    with fake_push_service() as service:
        push_subscribe(
            user=user,
            endpoint=f"{service.url}/push/abc",
            p256dh=browser.p256dh,
            auth=b64url_encode(browser.auth),
        )
        _alert(user, point)
        assert staff_deliveries_send_due() == 1

    [pushed] = service.received
    assert pushed.path == "/push/abc"
    assert (pushed.headers["content-encoding"], pushed.headers["ttl"]) == ("aes128gcm", "86400")
    assert json.loads(browser.decrypt(pushed.body)) == {
        "title": "Тревога",
        "body": "ПВЗ №1: тревога",
        "url": "/anomalies/",
        "tag": "anomaly_alert",
    }
    claims = verify_vapid(pushed.headers["authorization"], public_key=vapid.public_key)
    assert claims["aud"] == service.url
    assert claims["sub"] == "mailto:ops@example.org"
    assert time.time() < int(str(claims["exp"])) <= time.time() + 24 * 60 * 60
    assert StaffDelivery.objects.get().status == DeliveryStatus.SENT


@pytest.mark.django_db
def test_a_subscription_the_service_calls_gone_is_forgotten(vapid, clock) -> None:
    point = PickupPointFactory()
    user = operator_at(point)
    browser = Browser()
    with fake_push_service() as service:
        service.status = 410
        push_subscribe(
            user=user,
            endpoint=f"{service.url}/push/old",
            p256dh=browser.p256dh,
            auth=b64url_encode(browser.auth),
        )
        _alert(user, point)
        staff_deliveries_send_due()

    assert len(service.received) == 1
    assert not PushSubscription.objects.exists()
    delivery = StaffDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        DeliveryStatus.FAILED,
        "NoAddress: every push subscription is gone",
    )


@pytest.mark.django_db
def test_without_vapid_keys_push_is_off(settings, clock) -> None:
    settings.PVZ_VAPID_PRIVATE_KEY = ""
    point = PickupPointFactory()
    user = operator_at(point)
    PushSubscription.objects.create(
        user=user, endpoint="http://127.0.0.1:9/push", p256dh="x", auth="y", created_at=clock.now()
    )

    _alert(user, point)
    staff_deliveries_send_due()

    assert (
        StaffDelivery.objects.get().error == "NoAddress: push is off or the person has no subscribed browser"
    )
