"""Customer returns: opening a return visit and accepting a return leave one audit record each (never the
customer's phone or name, nor the note); a refused or replayed write leaves none."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import Verification
from pvz.returns.models import ReturnCondition
from pvz.returns.services import customer_return_create, return_visit_open
from tests.audit.records import no_new_records, the_record
from tests.returns.conftest import png

pytestmark = pytest.mark.django_db


def accept(desk, shipment, visit, *, key=None, photos=()):
    return customer_return_create(
        actor=desk.operator,
        visit=visit,
        code=shipment.posting_number,
        reason_id=desk.reason().pk,
        condition=ReturnCondition.NEW,
        note="коробка вскрыта",
        photos=list(photos),
        key=key,
    )


def test_a_visit_opened_by_pickup_code_is_one_record_without_the_code(desk) -> None:
    desk.issued()

    visit = desk.visit()

    record = the_record("return.visit_opened", actor=desk.operator, point_id=desk.point.pk, obj=visit)
    assert record.details == {"customer": desk.customer.pk, "verification": Verification.PICKUP_CODE}


def test_a_visit_for_a_customer_without_parcels_here_records_nothing(desk) -> None:
    with no_new_records(), pytest.raises(DomainError) as error:
        return_visit_open(actor=desk.operator, point=desk.point, customer_id=desk.customer.pk)
    assert error.value.code == ErrorCode.NOT_FOUND


def test_an_accepted_return_is_one_record_and_its_replay_none(desk) -> None:
    shipment = desk.issued()
    visit = desk.visit()

    created = accept(desk, shipment, visit, key="ret-1", photos=[png()])
    with no_new_records():
        accept(desk, shipment, visit, key="ret-1", photos=[png()])

    record = the_record("return.accepted", actor=desk.operator, point_id=desk.point.pk, obj=created)
    assert record.details == {
        "number": created.number,
        "shipment": shipment.pk,
        "visit": visit.pk,
        "reason": "wrong_size",
        "condition": ReturnCondition.NEW,
        "photos": 1,
    }
    assert desk.customer.phone not in str(record.details)
    assert "вскрыта" not in str(record.details)


def test_a_refused_return_records_nothing(desk) -> None:
    shipment = desk.stored()
    visit = desk.visit()

    with no_new_records(), pytest.raises(DomainError) as error:
        accept(desk, shipment, visit)
    assert error.value.code == ErrorCode.INVALID_TRANSITION
