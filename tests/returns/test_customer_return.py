"""Accepting a parcel back from a customer (DOMAIN rule 5): who, what, until when, and all-or-nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import CellKind
from pvz.notifications.models import Notification, NotificationKind
from pvz.returns.models import CustomerReturn, ReturnCondition, ReturnPhoto, ReturnReason
from pvz.returns.services import MAX_PHOTOS, VISIT_TTL, customer_return_create, return_visit_open
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.factories import CustomerFactory
from tests.returns.conftest import not_an_image, png

pytestmark = pytest.mark.django_db

MAX_BYTES = 10 * 1024 * 1024


def accept(desk, shipment, *, visit=None, photos=(), key=None, reason=None, condition=ReturnCondition.NEW):
    return customer_return_create(
        actor=desk.operator,
        visit=visit or desk.visit(),
        code=shipment.posting_number,
        reason_id=(reason or desk.reason()).pk,
        condition=condition,
        note="коробка вскрыта",
        photos=list(photos),
        key=key,
    )


def assert_nothing_saved(shipment: Shipment, events_before: int) -> None:
    shipment.refresh_from_db()
    assert shipment.status == Status.ISSUED
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before
    assert CustomerReturn.objects.count() == 0
    assert ReturnPhoto.objects.count() == 0
    assert not Notification.objects.filter(kind=NotificationKind.RETURN_ACCEPTED).exists()


def test_return_at_the_exact_end_of_the_window_is_accepted(desk, clock):
    shipment = desk.issued()
    clock.advance(days=7)

    created = accept(desk, shipment)

    assert created.window_ends_at == created.issued_at + dt.timedelta(days=7)
    assert created.accepted_at == created.window_ends_at


def test_return_one_second_after_the_window_is_refused_and_saves_nothing(desk, clock):
    shipment = desk.issued()
    events = ShipmentEvent.objects.filter(shipment=shipment).count()
    clock.advance(days=7, seconds=1)
    visit = desk.visit()

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment, visit=visit)

    assert caught.value.code == ErrorCode.RETURN_WINDOW_CLOSED
    assert caught.value.http_status == 409
    assert caught.value.details["return_window_days"] == 7
    assert_nothing_saved(shipment, events)


def test_the_window_is_the_partners_own(desk, clock):
    desk.partner.return_window_days = 14
    desk.partner.save()
    shipment = desk.issued()
    clock.advance(days=14, seconds=1)
    with pytest.raises(DomainError) as caught:
        accept(desk, shipment)
    assert caught.value.code == ErrorCode.RETURN_WINDOW_CLOSED

    other = desk.issued()
    clock.advance(days=14)
    assert accept(desk, other).shipment_id == other.pk


def test_another_customer_cannot_return_the_parcel(desk):
    shipment = desk.issued()
    events = ShipmentEvent.objects.filter(shipment=shipment).count()
    stranger = CustomerFactory()
    desk.issued(customer=stranger)  # the stranger has parcels here too

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment, visit=desk.visit(stranger))

    assert caught.value.code == ErrorCode.WRONG_CUSTOMER
    assert_nothing_saved(shipment, events)


def test_a_parcel_never_issued_cannot_be_returned(desk):
    shipment = desk.stored()

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment)

    assert caught.value.code == ErrorCode.INVALID_TRANSITION
    assert caught.value.details == {"status": Status.STORED}
    shipment.refresh_from_db()
    assert shipment.status == Status.STORED
    assert CustomerReturn.objects.count() == 0


def test_a_parcel_already_returned_cannot_be_returned_again(desk):
    shipment = desk.issued()
    accept(desk, shipment)

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment)

    assert caught.value.code == ErrorCode.INVALID_TRANSITION
    assert CustomerReturn.objects.count() == 1


def test_return_writes_issued_returned_and_awaiting_dispatch_in_the_return_zone(desk):
    shipment = desk.issued()

    created = accept(desk, shipment, condition=ReturnCondition.USED)

    shipment.refresh_from_db()
    assert shipment.status == Status.AWAITING_DISPATCH
    assert shipment.cell.kind == CellKind.RETURN_ZONE
    events = list(ShipmentEvent.objects.filter(shipment=shipment).order_by("at", "id"))
    assert [(e.from_status, e.to_status) for e in events[-2:]] == [
        (Status.ISSUED, Status.RETURNED),
        (Status.RETURNED, Status.AWAITING_DISPATCH),
    ]
    returned, to_zone = events[-2:]
    assert returned.reason == "customer_return:wrong_size"
    assert returned.details == {"reason": "wrong_size", "condition": "used", "visit_id": created.visit_id}
    assert returned.actor == desk.operator
    assert to_zone.reason == "customer_return_to_zone"
    assert to_zone.cell == shipment.cell
    assert len(events) == 4  # STORED, ISSUED, RETURNED, AWAITING_DISPATCH
    assert created.number == f"RET-{created.pk:07d}"
    assert (created.customer, created.shipment, created.point) == (desk.customer, shipment, desk.point)
    assert (created.condition, created.note, created.accepted_by) == (
        "used",
        "коробка вскрыта",
        desk.operator,
    )


def test_the_customer_gets_a_confirmation(desk):
    shipment = desk.issued()

    created = accept(desk, shipment)

    sms = Notification.objects.get(kind=NotificationKind.RETURN_ACCEPTED)
    assert (sms.customer, sms.shipment, sms.recipient) == (desk.customer, shipment, desk.customer.phone)
    assert created.number in sms.text
    assert shipment.order.number in sms.text
    assert sms.dedup_key == f"return_accepted:{created.pk}"


def test_photos_are_stored_privately_with_their_checked_type(desk):
    shipment = desk.issued()

    created = accept(desk, shipment, photos=[png("a.jpg"), png("b.png", size=MAX_BYTES)])

    photos = list(created.photos.all())
    # Stored re-encoded (pvz.core.uploads): the padding after the second image's end is gone.
    assert [p.content_type for p in photos] == ["image/png", "image/png"]
    assert [p.size for p in photos] == [p.file.size for p in photos]
    assert photos[1].size < MAX_BYTES
    assert all(p.file.name.startswith(f"private/customer-returns/{created.pk}/") for p in photos)
    assert all(p.file.name.endswith(".png") for p in photos)


@pytest.mark.parametrize(
    ("photos", "field"),
    [
        pytest.param(lambda: [not_an_image()], "photo", id="not-an-image"),
        pytest.param(lambda: [png(size=MAX_BYTES + 1)], "photo", id="too-large"),
        pytest.param(lambda: [png() for _ in range(MAX_PHOTOS + 1)], "photos", id="too-many"),
        pytest.param(lambda: [png(), not_an_image()], "photo", id="one-bad-of-two"),
    ],
)
def test_a_bad_photo_refuses_the_whole_return(desk, photos, field):
    shipment = desk.issued()
    events = ShipmentEvent.objects.filter(shipment=shipment).count()

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment, photos=photos())

    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert caught.value.details["field"] == field
    assert_nothing_saved(shipment, events)


def test_five_photos_are_allowed(desk):
    created = accept(desk, desk.issued(), photos=[png() for _ in range(MAX_PHOTOS)])
    assert created.photos.count() == 5


def test_a_replayed_key_returns_the_first_return_and_writes_nothing(desk):
    shipment = desk.issued()
    visit = desk.visit()
    first = accept(desk, shipment, visit=visit, key="k-1")
    events = ShipmentEvent.objects.count()

    again = accept(desk, shipment, visit=visit, key="k-1")

    assert again.pk == first.pk
    assert ShipmentEvent.objects.count() == events
    assert Notification.objects.filter(kind=NotificationKind.RETURN_ACCEPTED).count() == 1
    other = desk.issued()
    with pytest.raises(DomainError) as caught:
        accept(desk, other, visit=visit, key="k-1")
    assert caught.value.code == ErrorCode.IDEMPOTENCY_MISMATCH


def test_an_unverified_visit_cannot_return(desk):
    shipment = desk.issued()
    visit = return_visit_open(actor=desk.operator, point=desk.point, customer_id=desk.customer.pk)

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment, visit=visit)

    assert caught.value.code == ErrorCode.VERIFICATION_REQUIRED


def test_a_verification_is_good_for_one_hour(desk, clock):
    shipment, late = desk.issued(), desk.issued()
    visit = desk.visit()
    clock.advance(seconds=VISIT_TTL.total_seconds())
    accept(desk, shipment, visit=visit)

    clock.advance(microseconds=1)
    with pytest.raises(DomainError) as caught:
        accept(desk, late, visit=visit)
    assert caught.value.code == ErrorCode.VERIFICATION_REQUIRED


def test_reason_must_be_on_the_partners_list(desk):
    own = ReturnReason.objects.create(partner=desk.partner, code="late", title="Опоздал", position=1)
    shipment = desk.issued()

    with pytest.raises(DomainError) as caught:
        accept(desk, shipment, reason=desk.reason("wrong_size"))
    assert caught.value.details == {"field": "reason_id"}

    assert accept(desk, shipment, reason=own).reason == own


def test_a_parcel_is_found_by_its_barcode_typed_in_the_russian_layout(desk):
    shipment = desk.issued()
    typed = shipment.barcode.replace("i", "ш")

    created = customer_return_create(
        actor=desk.operator,
        visit=desk.visit(),
        code=typed,
        reason_id=desk.reason().pk,
        condition=ReturnCondition.NEW,
    )

    assert created.shipment == shipment


def test_default_reasons_are_seeded():
    titles = list(ReturnReason.objects.filter(partner=None).values_list("title", flat=True))
    assert titles == [
        "Не подошёл размер",
        "Брак / повреждение",
        "Не соответствует описанию",
        "Передумал",
        "Пришёл не тот товар",
    ]
