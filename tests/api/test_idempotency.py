"""`@idempotent` on an API operation: the key header is required, a replay answers the first response again
and writes nothing, a different request under the same key is refused, and a domain error replays as is.

A throwaway API mounted only here, so the rules are pinned before any real endpoint uses them."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.urls import path
from ninja import File, Form, NinjaAPI, Router, Schema, Status, UploadedFile
from ninja.errors import ConfigError

from pvz.api.auth import session_auth
from pvz.api.errors import ErrorOut, register_error_handlers
from pvz.api.idempotency import idempotent
from pvz.core.errors import Conflict
from pvz.core.models import IdempotencyRecord
from pvz.network.models import Partner
from tests.factories import PickupPointFactory, operator_at

router = Router()


class PartnerIn(Schema):
    code: str
    name: str


class PartnerOut(Schema):
    id: int
    code: str


@router.post(
    "/partners",
    response={201: PartnerOut, 400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="test_partners_create",
)
@idempotent
def partners_create(request: HttpRequest, payload: PartnerIn) -> Status:
    partner = Partner.objects.create(code=payload.code, name=payload.name)
    if payload.name == "конфликт":
        # Written first, then refused: the write must not survive, and the refusal must replay.
        raise Conflict(details={"code": payload.code})
    return Status(201, partner)


@router.post(
    "/photos",
    response={201: PartnerOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    operation_id="test_photos_upload",
)
@idempotent
def photos_upload(request: HttpRequest, code: Form[str], photo: File[UploadedFile]) -> Status:
    # A multipart upload: its raw body is consumed by the parser before the handler runs.
    partner = Partner.objects.create(code=code, name=photo.read().decode())
    return Status(201, partner)


api = NinjaAPI(urls_namespace="idempotency-test", auth=session_auth, docs_url=None)
register_error_handlers(api)
api.add_router("", router)
urlpatterns = [path("api/", api.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

URL = "/api/partners"


@pytest.fixture
def operator_client(signed_in):
    return signed_in(operator_at(PickupPointFactory()))


def post(client, body, key: str | None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


def test_missing_key_is_400_with_the_error_body_and_writes_nothing(operator_client) -> None:
    response = post(operator_client, {"code": "ozon", "name": "Озон"}, key=None)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "VALIDATION_FAILED",
            "message": "Не передан заголовок Idempotency-Key: повторите запрос с уникальным ключом.",
            "details": {"header": "Idempotency-Key"},
            "request_id": response["X-Request-ID"],
        }
    }
    assert not Partner.objects.exists()


def test_malformed_key_is_422_naming_the_header(operator_client) -> None:
    response = post(operator_client, {"code": "ozon", "name": "Озон"}, key="a key with spaces")

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("VALIDATION_FAILED", {"header": "Idempotency-Key"})
    assert not Partner.objects.exists()


def test_first_request_runs_and_answers_201(operator_client) -> None:
    response = post(operator_client, {"code": "ozon", "name": "Озон"}, key=str(uuid.uuid4()))

    partner = Partner.objects.get()
    assert response.status_code == 201
    assert response.json() == {"id": partner.pk, "code": "ozon"}
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Idempotent-Replayed" not in response


def test_replay_returns_the_same_body_marked_replayed_and_writes_once(operator_client) -> None:
    key = str(uuid.uuid4())
    first = post(operator_client, {"code": "ozon", "name": "Озон"}, key=key)

    replay = post(operator_client, {"name": "Озон", "code": "ozon"}, key=key)

    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert Partner.objects.count() == 1


def test_same_key_with_another_body_is_422_idempotency_mismatch(operator_client) -> None:
    key = str(uuid.uuid4())
    post(operator_client, {"code": "ozon", "name": "Озон"}, key=key)

    response = post(operator_client, {"code": "wb", "name": "Вайлдберриз"}, key=key)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    assert list(Partner.objects.values_list("code", flat=True)) == ["ozon"]


def test_domain_error_is_replayed_identically_and_nothing_is_saved(operator_client) -> None:
    key = str(uuid.uuid4())
    first = post(operator_client, {"code": "ozon", "name": "конфликт"}, key=key)

    replay = post(operator_client, {"code": "ozon", "name": "конфликт"}, key=key)

    assert first.status_code == 409
    assert first.json() == {
        "error": {
            "code": "CONFLICT",
            "message": "Кто-то изменил эти данные одновременно с вами. Обновите и повторите.",
            "details": {"code": "ozon"},
            "request_id": first["X-Request-ID"],
        }
    }
    # The same answer, byte for byte: it names the request that produced it; the header names this one.
    assert (replay.status_code, replay.content) == (409, first.content)
    assert replay["X-Request-ID"] != first["X-Request-ID"]
    assert replay["Idempotent-Replayed"] == "true"
    assert not Partner.objects.exists()


def test_keys_of_two_operators_do_not_collide(signed_in) -> None:
    point = PickupPointFactory()
    first, second = operator_at(point), operator_at(point)
    key = str(uuid.uuid4())
    post(signed_in(first), {"code": "ozon", "name": "Озон"}, key=key)

    response = post(signed_in(second), {"code": "wb", "name": "Вайлдберриз"}, key=key)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert set(IdempotencyRecord.objects.values_list("scope", "actor_id")) == {
        (f"user:{first.pk}", first.pk),
        (f"user:{second.pk}", second.pk),
    }
    assert Partner.objects.count() == 2


def test_multipart_upload_replays_and_a_different_file_is_a_mismatch(operator_client) -> None:
    key = str(uuid.uuid4())

    def upload(content: bytes):
        photo = SimpleUploadedFile("label.jpg", content, content_type="image/jpeg")
        return operator_client.post(
            "/api/photos", {"code": "ozon", "photo": photo}, headers={"Idempotency-Key": key}
        )

    first = upload(b"first photo")
    replay = upload(b"first photo")
    other = upload(b"another photo")

    assert (first.status_code, replay.status_code, other.status_code) == (201, 201, 422)
    assert replay.content == first.content
    assert other.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    assert list(Partner.objects.values_list("name", flat=True)) == ["first photo"]


def test_anonymous_caller_is_401_before_any_key_is_stored(client) -> None:
    response = post(client, {"code": "ozon", "name": "Озон"}, key=str(uuid.uuid4()))

    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_openapi_documents_the_required_key_header() -> None:
    operation = api.get_openapi_schema()["paths"]["/api/partners"]["post"]

    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)
    assert {201, 400, 422} <= set(operation["responses"])
    assert "requestBody" in operation


def test_an_operation_without_its_error_responses_declared_is_refused_at_import() -> None:
    with pytest.raises(ConfigError, match=r"\[400, 422\]"):

        @Router().post("/undocumented", response={201: PartnerOut})
        @idempotent
        def undocumented(request: HttpRequest) -> Status:
            return Status(201, {"id": 1, "code": "x"})
