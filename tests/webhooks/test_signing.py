"""Webhook signatures per Standard Webhooks: a known answer, and what verification refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from pvz.webhooks.signing import (
    SignatureInvalid,
    secret_generate,
    signature_compute,
    signature_headers,
    signature_verify,
)

# The test vector published with the Standard Webhooks reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_published_standard_webhooks_vector() -> None:
    assert (
        signature_compute(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY)
        == SPEC_SIGNATURE
    )


def test_signature_is_hmac_sha256_of_id_timestamp_body_keyed_by_the_decoded_secret() -> None:
    key = bytes(range(24))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"type":"shipment.status_changed","data":{"to_status":"ISSUED"}}'
    by_hand = base64.b64encode(hmac.new(key, b"evt_1.1700000000." + body, hashlib.sha256).digest()).decode()

    headers = signature_headers(secret=secret, msg_id="evt_1", timestamp=1700000000, body=body)

    assert headers == {
        "webhook-id": "evt_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,{by_hand}",
    }


def test_verify_accepts_a_fresh_request_signed_with_the_secret() -> None:
    headers = {
        "Webhook-Id": SPEC_ID,
        "Webhook-Timestamp": str(SPEC_TIMESTAMP),
        "Webhook-Signature": SPEC_SIGNATURE,
    }

    signature_verify(secret=SPEC_SECRET, headers=headers, body=SPEC_BODY, now=SPEC_TIMESTAMP + 300)


def test_verify_accepts_any_one_of_several_signatures_during_a_secret_rotation() -> None:
    other = signature_compute(
        secret=secret_generate(), msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY
    )
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": f"{other} {SPEC_SIGNATURE}",
    }

    signature_verify(secret=SPEC_SECRET, headers=headers, body=SPEC_BODY, now=SPEC_TIMESTAMP)


def test_verify_rejects_a_request_signed_with_another_secret() -> None:
    headers = signature_headers(
        secret=secret_generate(), msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY
    )

    with pytest.raises(SignatureInvalid, match="no matching signature"):
        signature_verify(secret=SPEC_SECRET, headers=headers, body=SPEC_BODY, now=SPEC_TIMESTAMP)


def test_verify_rejects_a_changed_body() -> None:
    headers = signature_headers(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY)

    with pytest.raises(SignatureInvalid, match="no matching signature"):
        signature_verify(secret=SPEC_SECRET, headers=headers, body=b'{"test": 1}', now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("offset", [301, -301])
def test_verify_rejects_a_timestamp_more_than_five_minutes_away(offset: int) -> None:
    headers = signature_headers(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY)

    with pytest.raises(SignatureInvalid, match="timestamp outside tolerance"):
        signature_verify(secret=SPEC_SECRET, headers=headers, body=SPEC_BODY, now=SPEC_TIMESTAMP + offset)


def test_verify_rejects_a_request_without_the_headers() -> None:
    with pytest.raises(SignatureInvalid, match="missing webhook headers"):
        signature_verify(secret=SPEC_SECRET, headers={}, body=SPEC_BODY, now=SPEC_TIMESTAMP)


def test_generated_secrets_carry_the_prefix_and_32_random_bytes() -> None:
    first, second = secret_generate(), secret_generate()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second
