"""`pvz.core.lifecycle.Lifecycle`: a table with a row for every status, one setter and one bulk update
that refuse a pair not in the table before anything changes."""

from __future__ import annotations

import pytest

from pvz.core.errors import ErrorCode, InvalidTransition
from pvz.core.lifecycle import Lifecycle
from pvz.network.models import PickupPoint, PointStatus
from pvz.network.statuses import POINT
from tests.factories import PickupPointFactory


def test_a_table_without_a_row_for_a_status_is_refused() -> None:
    with pytest.raises(ValueError, match="closed"):
        Lifecycle(
            "point",
            PointStatus,
            {PointStatus.OPEN: {PointStatus.CLOSING}, PointStatus.CLOSING: set()},
            message="x",
        )


def test_set_uses_the_lifecycles_message_unless_given_one() -> None:
    point = PickupPoint(status=PointStatus.CLOSED)
    table = Lifecycle("point", PointStatus, {s: set() for s in PointStatus}, message="nope")
    with pytest.raises(InvalidTransition) as default:
        table.set(point, PointStatus.OPEN)
    with pytest.raises(InvalidTransition) as given:
        table.set(point, PointStatus.OPEN, message="other", details={"point": 7})
    assert (default.value.message, given.value.message) == ("nope", "other")
    assert given.value.details == {"from": "closed", "to": "open", "point": 7}
    assert point.status == PointStatus.CLOSED


@pytest.mark.django_db
def test_update_moves_only_the_rows_in_the_given_statuses() -> None:
    open_point = PickupPointFactory(status=PointStatus.OPEN)
    closing = PickupPointFactory(status=PointStatus.CLOSING)

    moved = POINT.update(PickupPoint.objects.all(), from_statuses=[PointStatus.OPEN], to_status="closing")

    assert moved == 1
    assert PickupPoint.objects.get(pk=open_point.pk).status == PointStatus.CLOSING
    assert PickupPoint.objects.get(pk=closing.pk).status == PointStatus.CLOSING


@pytest.mark.django_db
def test_update_refuses_a_pair_not_in_the_table_and_writes_nothing() -> None:
    point = PickupPointFactory(status=PointStatus.OPEN)

    with pytest.raises(InvalidTransition) as refused:
        POINT.update(
            PickupPoint.objects.all(),
            from_statuses=[PointStatus.CLOSING, PointStatus.OPEN],
            to_status=PointStatus.CLOSED,
        )

    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert refused.value.details == {"from": "open", "to": "closed"}
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.OPEN


@pytest.mark.django_db
def test_update_of_rows_already_in_the_target_status_writes_only_the_other_fields() -> None:
    point = PickupPointFactory(status=PointStatus.CLOSING, name="Старое")

    POINT.update(
        PickupPoint.objects.filter(pk=point.pk),
        from_statuses=[PointStatus.CLOSING],
        to_status=PointStatus.CLOSING,
        name="Новое",
    )

    point.refresh_from_db()
    assert (point.status, point.name) == (PointStatus.CLOSING, "Новое")
