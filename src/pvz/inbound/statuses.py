"""The lifecycles of carriages, acceptances and totes as data (`pvz.core.lifecycle`): every status change of
these three goes through `CARRIAGE`, `ACCEPTANCE` or `TOTE` here, and nothing else writes their status."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.lifecycle import Lifecycle
from pvz.inbound.models import AcceptanceStatus, CarriageStatus, ToteStatus

C = CarriageStatus

CARRIAGE: Lifecycle[CarriageStatus] = Lifecycle(
    "carriage",
    CarriageStatus,
    {
        # A direct carriage: announced (planned or on its way), here, being accepted, closed with the act.
        C.PLANNED: {C.ARRIVED, C.CLOSED},  # → CLOSED: a return carriage, planned, is handed to the courier
        C.IN_TRANSIT: {C.ARRIVED},
        # → CLOSED: a return carriage whose vehicle's arrival was registered is handed to the courier.
        C.ARRIVED: {C.ACCEPTING, C.CLOSED},
        C.ACCEPTING: {C.CLOSED},
        C.CLOSED: set(),
    },
    message=_("Это действие недоступно для перевозки в её текущем статусе."),
)

A = AcceptanceStatus

ACCEPTANCE: Lifecycle[AcceptanceStatus] = Lifecycle(
    "acceptance",
    AcceptanceStatus,
    {A.OPEN: {A.CLOSED}, A.CLOSED: set()},
    message=_("Приёмка уже закрыта."),
)

T = ToteStatus

TOTE: Lifecycle[ToteStatus] = Lifecycle(
    "tote",
    ToteStatus,
    {
        # Arrival follows the acceptance scans: here once it or anything in it is scanned (FULL), EMPTY when
        # everything the manifest put in it is accepted, FULL again if an undo reopens it.
        T.IN_TRANSIT: {T.FULL, T.EMPTY},
        T.FULL: {T.EMPTY, T.IN_TRANSIT},
        # After it is emptied: it collects returns or leaves with a courier.
        T.EMPTY: {T.FULL, T.RETURNS, T.SENT_BACK, T.IN_TRANSIT},
        T.RETURNS: {T.SENT_BACK, T.IN_TRANSIT},
        # A partner's manifest sends a known tote out again (→ IN_TRANSIT) from wherever it is.
        T.SENT_BACK: {T.IN_TRANSIT},
    },
    message=_("Тару в этом состоянии так использовать нельзя."),
)
