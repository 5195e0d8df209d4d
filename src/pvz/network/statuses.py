"""The lifecycle of a pickup point as data (`pvz.core.lifecycle`); the closing app moves points along it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.lifecycle import Lifecycle
from pvz.network.models import PointStatus

P = PointStatus

POINT: Lifecycle[PointStatus] = Lifecycle(
    "point",
    PointStatus,
    {
        P.OPEN: {P.CLOSING},
        # The owner may change their mind while the point empties; CLOSED only once it holds nothing.
        P.CLOSING: {P.OPEN, P.CLOSED},
        P.CLOSED: set(),
    },
    message=_("Это действие недоступно для точки в её текущем статусе."),
)
