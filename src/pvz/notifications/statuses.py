"""The lifecycles of customer notifications and staff deliveries as data (`pvz.core.lifecycle`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.lifecycle import Lifecycle
from pvz.notifications.models import DeliveryStatus, NotificationStatus

N = NotificationStatus

NOTIFICATION: Lifecycle[NotificationStatus] = Lifecycle(
    "notification",
    NotificationStatus,
    {
        N.PENDING: {N.SENT, N.FAILED, N.WITHDRAWN},
        # A failed message is retried up to the limit (and may fail again), or withdrawn before it goes.
        N.FAILED: {N.SENT, N.FAILED, N.WITHDRAWN},
        N.SENT: set(),
        N.WITHDRAWN: set(),
    },
    message=_("Это сообщение уже отправлено или отозвано."),
)

D = DeliveryStatus

STAFF_DELIVERY: Lifecycle[DeliveryStatus] = Lifecycle(
    "staff_delivery",
    DeliveryStatus,
    {D.PENDING: {D.SENT, D.FAILED}, D.FAILED: {D.SENT, D.FAILED}, D.SENT: set()},
    message=_("Это сообщение уже отправлено."),
)
