"""NUL and lone surrogates in any text a request carries are 422 VALIDATION_FAILED before a view runs, and
nothing is written. Each case below was a 500 on PostgreSQL before `pvz.core.hygiene` (U+0000 cannot be
stored in text; a lone surrogate cannot be encoded for the idempotency fingerprint)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.inbound.models import AcceptanceDamage, AcceptanceScan, Carriage
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from tests.factories import PartnerFactory, PartnerPointFactory, PickupPointFactory, operator_at
from tests.fakes.photos import JPEG
from tests.partners.conftest import PartnerWorld
from tests.partners.keys import partner_key_for
from tests.partners.manifest_data import manifest

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"
HYGIENE = "pvz.core.hygiene.InputHygieneMiddleware"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def post_json(client: Client, path: str, raw: str) -> Any:
    """`raw` is the body as sent: escapes such as \\u0000 and \\ud800 reach the server as written."""
    return client.post(
        path, raw, content_type="application/json", headers={"Idempotency-Key": str(uuid.uuid4())}
    )


def refused_field(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    [field] = error["details"]["fields"]
    assert field["type"] == "invalid_character"
    return field


def test_a_nul_in_an_acceptance_scan_code_is_refused_and_no_scan_is_written(delivery, acceptance) -> None:
    client = signed_in(delivery.operator)
    body = '{"code": "ab\\u0000c", "scan_id": "' + str(uuid.uuid4()) + '"}'

    field = refused_field(post_json(client, f"/api/v1/acceptances/{acceptance.pk}/scans", body))

    assert (field["in"], field["field"]) == ("body", "code")
    assert "U+0000" in field["message"]
    assert AcceptanceScan.objects.count() == 0


def test_a_nul_in_a_staff_name_is_refused_and_nobody_is_invited() -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)
    users = User.objects.count()
    body = json.dumps({"phone": "+79161234567", "full_name": "Анна\x00", "role": "operator"})

    field = refused_field(post_json(signed_in(owner), f"/api/v1/points/{point.pk}/staff", body))

    assert field["field"] == "full_name"
    assert User.objects.count() == users


def test_a_partner_key_alone_cannot_reach_the_database_with_a_nul_cancel_reason(ours: PartnerWorld) -> None:
    path = f"/api/v1/partner/shipments/{ours.stored.barcode}/cancel"

    field = refused_field(post_json(ours.client(), path, '{"reason": "\\u0000"}'))

    assert field["field"] == "reason"
    assert Shipment.objects.get(pk=ours.stored.pk).status == Status.STORED


def test_a_lone_surrogate_in_json_is_refused_before_the_idempotency_fingerprint(ours: PartnerWorld) -> None:
    path = f"/api/v1/partner/shipments/{ours.stored.barcode}/cancel"

    # A key the schema ignores still reaches the fingerprint of the whole body.
    field = refused_field(post_json(ours.client(), path, '{"reason": "отказ", "note": "\\uD800"}'))

    assert field["field"] == "note"
    assert "U+D800" in field["message"]
    assert Shipment.objects.get(pk=ours.stored.pk).status == Status.STORED


def test_a_surrogate_pair_and_an_escaped_backslash_are_ordinary_text(ours: PartnerWorld) -> None:
    path = f"/api/v1/partner/shipments/{ours.stored.barcode}/cancel"

    response = post_json(ours.client(), path, '{"reason": "\\ud83d\\udce6 \\\\u0000 не NUL"}')

    assert response.status_code == 200, response.content
    assert Shipment.objects.get(pk=ours.stored.pk).status == Status.CANCELLED


def test_json_sent_as_a_form_is_checked_as_json(ours: PartnerWorld) -> None:
    # The API parses any body as JSON, whatever its Content-Type says.
    response = ours.client().post(
        f"/api/v1/partner/shipments/{ours.stored.barcode}/cancel",
        '{"reason": "\\u0000"}',
        content_type="application/x-www-form-urlencoded",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert refused_field(response)["field"] == "reason"
    assert Shipment.objects.get(pk=ours.stored.pk).status == Status.STORED


def test_a_key_deep_in_the_body_is_checked_too(delivery, acceptance) -> None:
    body = '{"code": "x", "scan_id": "' + str(uuid.uuid4()) + '", "extra": [{"\\u0000": 1}]}'

    field = refused_field(
        post_json(signed_in(delivery.operator), f"/api/v1/acceptances/{acceptance.pk}/scans", body)
    )

    assert field["field"] == "extra.0.\ufffd"


# Within Django's in-memory limit the check reads the raw bytes; past it (photos) the form Django parses.
@pytest.mark.parametrize("memory_limit", [None, 64])
def test_a_nul_in_a_damage_note_is_refused_and_no_damage_is_written(
    delivery, acceptance, settings, tmp_path, memory_limit
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(delivery.operator)
    parcel = delivery.shipments()[0]
    scanned = post_json(
        client,
        f"/api/v1/acceptances/{acceptance.pk}/scans",
        json.dumps({"code": parcel.barcode, "scan_id": str(uuid.uuid4())}),
    )
    assert scanned.status_code == 200
    if memory_limit is not None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = memory_limit

    def damaged(note: str) -> Any:
        return client.post(
            f"/api/v1/acceptances/{acceptance.pk}/damaged",
            {"shipment_id": parcel.pk, "note": note, "photo": SimpleUploadedFile("p.jpg", JPEG)},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )

    field = refused_field(damaged("Порван\x00 пакет"))

    assert (field["in"], field["field"]) == ("body", "note")
    assert AcceptanceDamage.objects.count() == 0
    # The photo's own bytes are not text: a JPEG full of zero bytes goes through with a clean note.
    assert b"\x00" in JPEG
    assert damaged("Порван пакет").status_code == 200
    assert AcceptanceDamage.objects.count() == 1


def test_a_nul_in_a_base64_multipart_field_is_refused(delivery, acceptance) -> None:
    body = (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="note"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode("Порван\x00".encode()) + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="shipment_id"\r\n\r\n1\r\n'
        b"--B--\r\n"
    )
    assert b"\x00" not in body

    response = signed_in(delivery.operator).post(
        f"/api/v1/acceptances/{acceptance.pk}/damaged",
        body,
        content_type="multipart/form-data; boundary=B",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert refused_field(response)["field"] == "note"
    assert AcceptanceDamage.objects.count() == 0


def test_a_nul_in_a_query_string_is_refused(delivery) -> None:
    response = signed_in(delivery.operator).get("/api/v1/shipments/search?q=abc%00def")

    field = refused_field(response)

    assert (field["in"], field["field"]) == ("query", "q")


def test_a_nul_in_a_query_name_is_refused_too(delivery) -> None:
    field = refused_field(signed_in(delivery.operator).get("/api/v1/shipments/search?q=abcd&x%00=1"))

    assert field["field"] == "x\ufffd"


def test_a_web_form_with_a_nul_gets_a_page_that_says_so(delivery) -> None:
    client = signed_in(delivery.operator)

    response = client.get("/search/?q=abc%00")

    assert response.status_code == 422
    html = response.content.decode()
    assert "VALIDATION_FAILED" in html and "U+0000" in html
    assert response["Content-Type"].startswith("text/html")


def test_a_urlencoded_form_with_a_nul_is_refused(delivery) -> None:
    client = signed_in(operator_at(delivery.point, Role.OWNER))
    users = User.objects.count()

    response = client.post(
        "/staff/invite/", {"phone": "+79161234567", "full_name": "Анна\x00", "role": "operator"}
    )

    assert response.status_code == 422
    assert "U+0000" in response.content.decode()
    assert User.objects.count() == users


def test_a_large_body_an_operation_accepts_is_checked_and_still_read_by_it(settings, clock) -> None:
    # The manifest may be larger than Django's in-memory limit; the check reads it and gives it back.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    partner = PartnerFactory(code="market")
    PartnerPointFactory(partner=partner, point=PickupPointFactory(code="msk-1"))
    client = Client(headers={"Authorization": f"Bearer {partner_key_for(partner)}"})
    raw = json.dumps(manifest("msk-1", 25, number="car-9"))
    assert len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    refused = post_json(client, "/api/v1/partner/carriages", raw.replace('"car-9"', '"car-9\\u0000"'))
    accepted = post_json(client, "/api/v1/partner/carriages", raw)

    assert refused_field(refused)["field"] == "carriage_number"
    assert accepted.status_code == 201, accepted.content
    assert Carriage.objects.get().number == "CAR-9"


@pytest.mark.parametrize("memory_limit", [None, 16])
def test_a_body_django_refuses_gets_the_same_answer_as_without_the_check(
    delivery, acceptance, settings, memory_limit
) -> None:
    if memory_limit is not None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = memory_limit
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    client = signed_in(delivery.operator)

    def too_many_fields() -> tuple[int, bytes]:
        response = client.post(
            f"/api/v1/acceptances/{acceptance.pk}/damaged",
            {"shipment_id": 1, "note": "a\x00", "x": "b", "y": "c"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        error = response.json()["error"]
        return response.status_code, error["code"]

    checked = too_many_fields()
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if name != "pvz.core.hygiene.InputHygieneMiddleware"
    ]

    assert checked == too_many_fields()
