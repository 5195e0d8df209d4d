"""«Отправка» screens: create, scan a tote and parcels, seal, hand over by code or drawn signature, act."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from pvz.accounts.roles import Role
from pvz.inbound.models import CarriageStatus, Tote, ToteStatus
from pvz.outbound.models import Dispatch, DispatchLine, DispatchTote
from pvz.shipments.models import Shipment
from pvz.shipments.services import return_zone_of
from pvz.shipments.statuses import Status
from tests.factories import (
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

SCANNER = {"X-Pvz-Scanner": "1"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def partner(point):
    partner = PartnerFactory(name="Озон")
    PartnerPointFactory(partner=partner, point=point)
    return partner


def waiting(point, partner) -> Shipment:
    return ShipmentFactory(
        point=point,
        partner=partner,
        status=Status.AWAITING_DISPATCH,
        cell=return_zone_of(point=point, actor=None),
    )


def create(client, partner) -> int:
    answer = client.post("/dispatch/new/", {"partner": partner.pk, "action_id": uuid.uuid4()})
    assert answer.status_code == 302, answer.content
    return int(re.search(r"/dispatch/(\d+)/", answer["Location"]).group(1))


def scan(client, carriage_id: int, code: str, tote: int | None = None, mode: str = "returns", scan_id=None):
    data = {"code": code, "scan_id": scan_id or uuid.uuid4(), "mode": mode}
    if tote is not None:
        data["tote"] = tote
    return client.post(f"/dispatch/{carriage_id}/scan/", data, headers=SCANNER)


def test_the_section_opens_the_list_with_the_partner_to_choose(sign_in, operator, point, partner) -> None:
    page = sign_in(operator, point).get("/dispatch/")
    assert page.status_code == 200
    assert "Озон" in page.content.decode()


def test_a_hand_over_by_scans_and_the_courier_code(sign_in, operator, point, partner, clock) -> None:
    client = sign_in(operator, point)
    carriage_id = create(client, partner)
    parcels = [waiting(point, partner), waiting(point, partner)]

    opened = scan(client, carriage_id, "%101%55500000001")
    assert 'data-kind="tote_opened"' in opened.content.decode()
    tote_id = int(re.search(r'name="tote" value="(\d+)"', opened.content.decode()).group(1))
    for parcel in parcels:
        added = scan(client, carriage_id, parcel.barcode.replace("ii", "шш"), tote=tote_id)
        assert 'data-kind="added"' in added.content.decode()
    again = scan(client, carriage_id, parcels[0].barcode, tote=tote_id)
    assert 'data-kind="again"' in again.content.decode()
    board = client.get(f"/dispatch/{carriage_id}/board/").content.decode()
    assert 'data-in-totes="2"' in board and 'data-eligible="2"' in board

    sealed = client.post(
        f"/dispatch/{carriage_id}/totes/{tote_id}/seal/", {"action_id": uuid.uuid4(), "seal_number": "PL1234"}
    )
    assert sealed.status_code == 302
    code = Dispatch.objects.get(carriage_id=carriage_id).courier_code
    done = client.post(
        f"/dispatch/{carriage_id}/handover/", {"action_id": uuid.uuid4(), "method": "code", "code": code}
    )

    assert done.status_code == 302 and done["Location"] == f"/dispatch/{carriage_id}/act/"
    act = client.get(done["Location"]).content.decode()
    assert 'data-count="parcels">2<' in act
    assert all(f'data-act-parcel="{p.posting_number}"' in act for p in parcels)
    # The hand-over time in the point's local time (the clock reads 10:00 in Moscow), not ISO text.
    assert '<dd data-field="handed_over_at">27.11.2026 10:00</dd>' in act
    assert set(Shipment.objects.values_list("status", flat=True)) == {Status.DISPATCHED}


def test_a_parcel_scan_without_a_tote_asks_for_the_tote_first(sign_in, operator, point, partner) -> None:
    client = sign_in(operator, point)
    carriage_id = create(client, partner)

    answer = scan(client, carriage_id, waiting(point, partner).barcode)

    assert answer.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in answer.content.decode()
    assert DispatchLine.objects.count() == 0


def test_a_stored_parcel_within_its_deadline_is_refused_with_its_code(
    sign_in, operator, point, partner, clock
) -> None:
    client = sign_in(operator, point)
    carriage_id = create(client, partner)
    tote_id = DispatchTote.objects.get(pk=_open_tote(client, carriage_id)).pk
    stored = ShipmentFactory(point=point, partner=partner, status=Status.STORED, storage_deadline=clock.now())

    answer = scan(client, carriage_id, stored.barcode, tote=tote_id)

    assert answer.status_code == 409
    assert 'data-error-code="STORAGE_NOT_EXPIRED"' in answer.content.decode()
    # The current tote stays with the answer, so the next parcel still goes into it.
    assert f'name="tote" value="{tote_id}"' in answer.content.decode()


def _open_tote(client, carriage_id: int) -> int:
    opened = scan(client, carriage_id, "%101%55500000001").content.decode()
    return int(re.search(r'name="tote" value="(\d+)"', opened).group(1))


def test_a_resent_scan_acts_once(sign_in, operator, point, partner) -> None:
    client = sign_in(operator, point)
    carriage_id = create(client, partner)
    tote_id = _open_tote(client, carriage_id)
    parcel = waiting(point, partner)
    scan_id = uuid.uuid4()

    first = scan(client, carriage_id, parcel.barcode, tote=tote_id, scan_id=scan_id)
    resent = scan(client, carriage_id, parcel.barcode, tote=tote_id, scan_id=scan_id)

    assert 'data-kind="added"' in first.content.decode() and 'data-kind="added"' in resent.content.decode()
    assert DispatchLine.objects.count() == 1


def test_a_hand_over_by_signature_stores_the_png_and_the_name(sign_in, operator, point, partner) -> None:
    client = sign_in(operator, point)
    carriage_id = create(client, partner)
    Tote.objects.create(partner=partner, barcode="%101%10000000001", point=point, status=ToteStatus.EMPTY)
    empty = scan(client, carriage_id, "%101%10000000001", mode="empty")
    assert 'data-kind="empty_added"' in empty.content.decode()

    done = client.post(
        f"/dispatch/{carriage_id}/handover/",
        {
            "action_id": uuid.uuid4(),
            "method": "signature",
            "courier_name": "Петров Пётр",
            "signature": "data:image/png;base64," + base64.b64encode(PNG).decode(),
        },
    )

    assert done.status_code == 302
    dispatch = Dispatch.objects.get(carriage_id=carriage_id)
    assert (dispatch.method, dispatch.courier_name, dispatch.signature.read()) == (
        "signature",
        "Петров Пётр",
        PNG,
    )
    assert dispatch.carriage.status == CarriageStatus.CLOSED
    assert Tote.objects.get(barcode="%101%10000000001").status == ToteStatus.SENT_BACK


def test_a_wrong_code_on_the_screen_says_how_many_tries_are_left(sign_in, operator, point, partner) -> None:
    client = sign_in(operator, point)
    carriage_id = create(client, partner)
    Tote.objects.create(partner=partner, barcode="%101%10000000001", point=point, status=ToteStatus.EMPTY)
    scan(client, carriage_id, "%101%10000000001", mode="empty")
    code = Dispatch.objects.get(carriage_id=carriage_id).courier_code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    page = client.post(
        f"/dispatch/{carriage_id}/handover/", {"action_id": uuid.uuid4(), "method": "code", "code": wrong}
    )

    assert page.status_code == 400
    assert 'data-error-code="CODE_INVALID"' in page.content.decode()
    assert Dispatch.objects.get(carriage_id=carriage_id).code_attempts == 1


def test_another_points_carriage_is_404_and_a_role_without_operate_is_403(
    sign_in, operator, point, partner
) -> None:
    carriage_id = create(sign_in(operator, point), partner)
    other = PickupPointFactory()
    assert sign_in(operator_at(other), other).get(f"/dispatch/{carriage_id}/").status_code == 404
    support = operator_at(point, role=Role.SUPPORT)
    assert sign_in(support, point).get("/dispatch/").status_code == 403
