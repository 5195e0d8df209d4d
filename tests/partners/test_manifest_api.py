"""POST /api/v1/partner/carriages (JSON) and /carriages/csv (upload): the manifest through the partner API."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from pvz.accounts.roles import Role
from pvz.core.clock import FrozenClock
from pvz.inbound.models import Carriage
from pvz.network.models import Partner, PickupPoint
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status
from tests.factories import (
    MembershipFactory,
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    UserFactory,
)
from tests.partners.keys import partner_key_for
from tests.partners.manifest_data import manifest

URL = "/api/v1/partner/carriages"
CSV_URL = "/api/v1/partner/carriages/csv"
HEADER = (
    "posting_number;barcode;order_number;customer_phone;customer_name;size_class;weight_g;"
    "declared_value_kop;amount_due_kop;tote"
)


@pytest.fixture
def partner(clock: FrozenClock, db: None) -> Partner:
    return PartnerFactory(code="market")


@pytest.fixture
def point(partner: Partner) -> PickupPoint:
    point = PickupPointFactory(code="msk-1")
    PartnerPointFactory(partner=partner, point=point)
    return point


@pytest.fixture
def client(partner: Partner) -> Client:
    return Client(headers={"Authorization": f"Bearer {partner_key_for(partner)}"})


def post(client: Client, data: Any, *, key: str | None = None) -> Any:
    return client.post(
        URL,
        data=json.dumps(data),
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def upload(
    client: Client, text: str, *, encoding: str = "utf-8", key: str | None = None, **fields: str
) -> Any:
    form = {"carriage_number": "CAR-CSV-1", "point": "msk-1", **fields}
    form["file"] = SimpleUploadedFile("manifest.csv", text.encode(encoding), content_type="text/csv")
    return client.post(CSV_URL, data=form, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def test_manifest_creates_carriage_and_answers_201_with_counts(client: Client, point: PickupPoint) -> None:
    response = post(client, manifest("msk-1", 25, number="car-9"))

    assert response.status_code == 201
    body = response.json()
    carriage = Carriage.objects.get()
    assert body == {
        "id": carriage.pk,
        "number": "CAR-9",
        "point": "msk-1",
        "status": "in_transit",
        "eta": "2026-11-28T14:30:00+03:00",
        "shipments": 25,
        "totes": 1,
    }
    assert Shipment.objects.filter(carriage=carriage, status=Status.EXPECTED).count() == 25


def test_invalid_manifest_is_422_with_per_line_errors_and_nothing_stored(
    client: Client, point: PickupPoint
) -> None:
    data = manifest("msk-1", 20)
    data["shipments"][3]["barcode"] = data["shipments"][0]["barcode"]
    data["shipments"][7]["size_class"] = "XXL"
    data["shipments"][9]["declared_value_kop"] = -1

    response = post(client, data)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "MANIFEST_INVALID"
    assert [(e["line"], e["field"], e["code"]) for e in error["details"]["errors"]] == [
        (4, "barcode", "duplicate"),
        (8, "size_class", "bad_size"),
        (10, "declared_value_kop", "negative"),
    ]
    assert not Carriage.objects.exists()
    assert not Shipment.objects.exists()


def test_unknown_point_is_422(client: Client, point: PickupPoint) -> None:
    response = post(client, manifest("nowhere", 1))

    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["code"] == "unknown_point"


def test_body_that_is_not_json_is_422(client: Client, point: PickupPoint) -> None:
    response = client.post(
        URL, data="{not json", content_type="application/json", headers={"Idempotency-Key": "k"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["field"] == "body"


def test_existing_carriage_number_is_409(client: Client, point: PickupPoint) -> None:
    assert post(client, manifest("msk-1", 1, number="CAR-1")).status_code == 201

    response = post(client, manifest("msk-1", 1, number="CAR-1"))

    assert response.status_code == 422  # the same shipments again: they are already the partner's
    data = manifest("msk-1", 0, number="CAR-1", shipments=manifest("msk-1", 3)["shipments"][2:])
    response = post(client, data)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert Shipment.objects.count() == 1


def test_another_partner_may_use_the_same_carriage_number_and_barcodes(
    client: Client, point: PickupPoint
) -> None:
    other = PartnerFactory(code="other")
    PartnerPointFactory(partner=other, point=point)
    other_client = Client(headers={"Authorization": f"Bearer {partner_key_for(other)}"})

    assert post(client, manifest("msk-1", 5)).status_code == 201
    assert post(other_client, manifest("msk-1", 5)).status_code == 201
    assert Shipment.objects.filter(partner=other).count() == 5


def test_without_a_key_or_with_a_user_session_is_401(point: PickupPoint) -> None:
    assert Client().post(URL, data="{}", content_type="application/json").status_code == 401
    user = UserFactory()
    MembershipFactory(user=user, point=point, role=Role.OWNER)
    session = Client()
    session.force_login(user)
    response = session.post(URL, data=json.dumps(manifest("msk-1", 1)), content_type="application/json")
    assert response.status_code == 401
    assert not Carriage.objects.exists()


def test_body_over_the_limit_is_413(client: Client, point: PickupPoint) -> None:
    with override_settings(PVZ_PARTNER_MANIFEST_MAX_BYTES=1000):
        response = post(client, manifest("msk-1", 10))

    assert response.status_code == 413
    assert not Carriage.objects.exists()


# ---- Idempotency-Key: a partner's retry after a dropped connection -----------------------------------


def test_the_same_key_again_answers_the_first_response_and_stores_nothing_more(
    client: Client, point: PickupPoint
) -> None:
    data = manifest("msk-1", 3, number="CAR-RETRY")
    first = post(client, data, key="retry-1")

    again = post(client, data, key="retry-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (Carriage.objects.count(), Shipment.objects.count()) == (1, 3)


def test_a_refused_manifest_is_replayed_as_refused_under_its_key(client: Client, point: PickupPoint) -> None:
    bad = manifest("nowhere", 1)
    first = post(client, bad, key="bad-1")

    again = post(client, bad, key="bad-1")

    assert (first.status_code, again.status_code) == (422, 422)
    assert again.json() == first.json()


def test_the_same_key_with_another_manifest_is_422_mismatch(client: Client, point: PickupPoint) -> None:
    assert post(client, manifest("msk-1", 2, number="CAR-A"), key="k-1").status_code == 201

    response = post(client, manifest("msk-1", 2, number="CAR-B"), key="k-1")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_MISMATCH"
    assert Carriage.objects.count() == 1


def test_a_key_is_the_partners_own(client: Client, point: PickupPoint) -> None:
    other = PartnerFactory(code="other")
    PartnerPointFactory(partner=other, point=point)
    other_client = Client(headers={"Authorization": f"Bearer {partner_key_for(other)}"})

    assert post(client, manifest("msk-1", 1), key="same").status_code == 201
    response = post(other_client, manifest("msk-1", 1), key="same")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Carriage.objects.count() == 2


def test_without_an_idempotency_key_is_400_and_stores_nothing(client: Client, point: PickupPoint) -> None:
    response = client.post(URL, data=json.dumps(manifest("msk-1", 1)), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"header": "Idempotency-Key"}
    assert not Carriage.objects.exists()


def test_csv_upload_again_with_its_key_is_a_replay(client: Client, point: PickupPoint) -> None:
    text = "\n".join([HEADER, "1-0001-1;ii001;1;+79161230001;Анна;S;300;150000;0;%101%1"])
    first = upload(client, text, key="csv-1")

    again = upload(client, text, key="csv-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Shipment.objects.count() == 1


def test_ten_thousand_shipments_in_one_request(client: Client, point: PickupPoint) -> None:
    data = manifest("msk-1", 10_000)
    assert len(json.dumps(data)) > 2_621_440  # over Django's default DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post(client, data)

    assert response.status_code == 201
    assert response.json()["shipments"] == 10_000
    assert Shipment.objects.count() == 10_000


# ---- CSV --------------------------------------------------------------------------------------------


def test_csv_upload_creates_carriage(client: Client, point: PickupPoint) -> None:
    text = "\n".join(
        [
            HEADER,
            "1-0001-1;ii001;1;+79161230001;Анна;S;300;150000;0;%101%1",
            "1-0002-1;ii002;1;+79161230001;Анна;M;1200;99000;99000;%101%1",
            "2-0001-1;ii003;2;8 916 123-00-02;Иван;XL;20000;500000;0;",
        ]
    )

    response = upload(client, text, eta="2026-11-28T14:30:00+03:00")

    assert response.status_code == 201
    assert response.json()["number"] == "CAR-CSV-1"
    assert (response.json()["shipments"], response.json()["totes"]) == (3, 1)
    loose = Shipment.objects.get(barcode="ii003")
    assert (loose.tote, loose.size_class, loose.order.customer.phone) == (None, "XL", "+79161230002")


def test_csv_flag_columns(client: Client, point: PickupPoint) -> None:
    text = "\n".join(
        [
            "posting_number;barcode;order_number;customer_phone;size_class;weight_g;try_on_allowed;"
            "partial_refusal_allowed;fragile",
            "1-0001-1;ii001;1;+79161230001;S;300;да;нет;1",
            "1-0002-1;ii002;1;+79161230001;M;1200;;;",
        ]
    )

    response = upload(client, text)

    assert response.status_code == 201, response.json()
    flags = dict(
        (barcode, rest)
        for barcode, *rest in Shipment.objects.values_list(
            "barcode", "try_on_allowed", "partial_refusal_allowed", "fragile"
        )
    )
    assert flags == {"ii001": [True, False, True], "ii002": [False, True, False]}


def test_csv_bad_flag_names_the_row(client: Client, point: PickupPoint) -> None:
    text = (
        "posting_number;barcode;order_number;customer_phone;size_class;weight_g;fragile\n"
        "1-1;ii1;1;+79161230001;S;100;хрупкое"
    )

    response = upload(client, text)

    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert [(e["line"], e["field"], e["code"]) for e in errors] == [(2, "fragile", "invalid")]
    assert not Shipment.objects.exists()


def test_csv_with_bom_and_commas(client: Client, point: PickupPoint) -> None:
    text = (
        "posting_number,barcode,order_number,customer_phone,size_class,weight_g\r\n"
        "1-1,ii1,1,+79161230001,S,100\r\n"
    )

    response = upload(client, "\ufeff" + text)

    assert response.status_code == 201
    assert Shipment.objects.get().barcode == "ii1"


def test_csv_errors_name_the_file_row(client: Client, point: PickupPoint) -> None:
    text = "\n".join(
        [
            HEADER,
            "1-0001-1;ii001;1;+79161230001;Анна;S;300;150000;0;",
            "",
            "1-0002-1;ii001;1;+79161230001;Анна;S;0;150000;-5;",
        ]
    )

    response = upload(client, text)

    assert response.status_code == 422
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["error"]["details"]["errors"]] == [
        (4, "weight_g", "not_positive"),
        (4, "amount_due_kop", "negative"),
        (4, "barcode", "duplicate"),
    ]
    assert not Carriage.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("barcode;weight_g\nii1;100", "bad_header"),
        ("posting_number;barcode;order_number;customer_phone;size_class;weight_g;colour\n", "bad_header"),
        (
            "posting_number;barcode;order_number;customer_phone;size_class;weight_g\n1;ii1;1;+79161230001;S\n",
            "bad_columns",
        ),
        ("", "empty"),
    ],
)
def test_csv_file_errors(client: Client, point: PickupPoint, content: str, code: str) -> None:
    response = upload(client, content)

    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("file", code)]


def test_csv_not_in_utf8_is_refused(client: Client, point: PickupPoint) -> None:
    text = (
        "posting_number;barcode;order_number;customer_phone;customer_name;size_class;weight_g\n"
        "1;ii1;1;+79161230001;Анна;S;1\n"
    )

    response = upload(client, text, encoding="cp1251")

    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["code"] == "not_utf8"
