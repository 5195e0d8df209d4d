"""The lifecycle of a webhook delivery as data (`pvz.core.lifecycle`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.lifecycle import Lifecycle
from pvz.webhooks.models import DeliveryStatus

D = DeliveryStatus

DELIVERY: Lifecycle[DeliveryStatus] = Lifecycle(
    "webhook_delivery",
    DeliveryStatus,
    {
        D.PENDING: {D.DELIVERED, D.DEAD},
        # A replay sends a delivered or dead delivery again, with a fresh retry window.
        D.DELIVERED: {D.PENDING},
        D.DEAD: {D.PENDING},
    },
    message=_("Эта доставка уже ждёт отправки."),
)
