"""The lifecycles of customer notifications and staff deliveries (notifications.statuses): every pair."""

from __future__ import annotations

from pvz.notifications.models import DeliveryStatus as D
from pvz.notifications.models import NotificationStatus as N
from pvz.notifications.statuses import NOTIFICATION, STAFF_DELIVERY
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_notification_table() -> None:
    assert_table(
        NOTIFICATION,
        {
            (N.PENDING, N.SENT),
            (N.PENDING, N.FAILED),
            (N.PENDING, N.WITHDRAWN),
            (N.FAILED, N.SENT),
            (N.FAILED, N.FAILED),
            (N.FAILED, N.WITHDRAWN),
        },
    )


@all_pairs(NOTIFICATION)
def test_every_notification_pair(from_status: N, to_status: N) -> None:
    assert_pair(NOTIFICATION, from_status, to_status)


def test_staff_delivery_table() -> None:
    assert_table(
        STAFF_DELIVERY, {(D.PENDING, D.SENT), (D.PENDING, D.FAILED), (D.FAILED, D.SENT), (D.FAILED, D.FAILED)}
    )


@all_pairs(STAFF_DELIVERY)
def test_every_staff_delivery_pair(from_status: D, to_status: D) -> None:
    assert_pair(STAFF_DELIVERY, from_status, to_status)
