"""«Возвраты» screens: identify, scan the parcel, confirm with a photo, the label; private photos."""

from __future__ import annotations

import re
import uuid

import pytest

from pvz.returns.models import CustomerReturn, ReturnPhoto
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.statuses import Status
from tests.factories import PickupPointFactory, operator_at
from tests.returns.conftest import Desk, desk_new, not_an_image, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def desk(clock) -> Desk:
    return desk_new()


def identify(client, desk: Desk) -> str:
    response = client.post(
        "/returns/identify/", {"code": pickup_code_for(desk.customer), "action_id": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    return response["Location"]


def accept(client, visit_url: str, shipment, reason_id: int, photos, action_id: str | None = None):
    return client.post(
        f"{visit_url}accept/",
        {
            "action_id": action_id or str(uuid.uuid4()),
            "code": shipment.posting_number,
            "reason_id": reason_id,
            "condition": "damaged",
            "note": "",
            "photos": photos,
        },
    )


def test_a_return_from_scan_to_label(sign_in, desk):
    shipment = desk.issued()
    client = sign_in(desk.operator, desk.point)

    visit_url = identify(client, desk)
    page = client.get(visit_url)
    assert page.status_code == 200
    assert f'data-returnable="{shipment.posting_number}" data-open="true"' in page.content.decode()

    form = client.get(f"{visit_url}parcel/", {"code": shipment.barcode.replace("i", "ш")})
    assert form.status_code == 200
    html = form.content.decode()
    assert 'accept="image/*" capture="environment" multiple' in html
    assert "Пришёл не тот товар" in html

    done = accept(client, visit_url, shipment, desk.reason().pk, [png()])
    assert done.status_code == 302
    created = CustomerReturn.objects.get()
    assert done["Location"] == f"/returns/{created.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert created.number in page
    shipment.refresh_from_db()
    assert shipment.status == Status.AWAITING_DISPATCH
    assert f'data-return-zone="{shipment.cell.address}"' in page
    label = client.get(f"/returns/{created.pk}/label.pdf")
    assert label.content.startswith(b"%PDF")


def test_a_resent_form_accepts_once(sign_in, desk):
    shipment = desk.issued()
    client = sign_in(desk.operator, desk.point)
    visit_url = identify(client, desk)
    action_id = str(uuid.uuid4())

    first = accept(client, visit_url, shipment, desk.reason().pk, [], action_id)
    again = accept(client, visit_url, shipment, desk.reason().pk, [], action_id)

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert CustomerReturn.objects.count() == 1


def test_a_photo_that_is_not_an_image_is_refused_on_the_form(sign_in, desk):
    shipment = desk.issued()
    client = sign_in(desk.operator, desk.point)
    visit_url = identify(client, desk)

    response = accept(client, visit_url, shipment, desk.reason().pk, [not_an_image()])

    assert response.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in response.content.decode()
    assert CustomerReturn.objects.count() == 0
    shipment.refresh_from_db()
    assert shipment.status == Status.ISSUED


def test_a_closed_window_is_shown_when_the_parcel_is_scanned(sign_in, desk, clock):
    shipment = desk.issued()
    clock.advance(days=7, seconds=1)
    client = sign_in(desk.operator, desk.point)
    visit_url = identify(client, desk)

    response = client.get(f"{visit_url}parcel/", {"code": shipment.posting_number})

    assert response.status_code == 409
    assert 'data-error-code="RETURN_WINDOW_CLOSED"' in response.content.decode()


@pytest.fixture
def photo(desk, sign_in) -> ReturnPhoto:
    shipment = desk.issued()
    client = sign_in(desk.operator, desk.point)
    accept(client, identify(client, desk), shipment, desk.reason().pk, [png()])
    client.logout()
    return ReturnPhoto.objects.get()


def test_the_photo_is_served_to_staff_of_its_point(sign_in, desk, photo):
    client = sign_in(desk.operator, desk.point)
    response = client.get(f"/returns/photos/{photo.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"\x89PNG")


def test_the_photo_is_404_to_another_point(sign_in, photo):
    other = PickupPointFactory()
    client = sign_in(operator_at(other), other)
    assert client.get(f"/returns/photos/{photo.pk}/").status_code == 404


def test_the_photo_redirects_anonymous_to_sign_in(client, photo):
    response = client.get(f"/returns/photos/{photo.pk}/")
    assert response.status_code == 302
    assert re.search(r"/login/\?next=/returns/photos/\d+/", response["Location"])


def test_the_photo_has_no_public_media_url(photo):
    assert photo.file.name.startswith("private/customer-returns/")
