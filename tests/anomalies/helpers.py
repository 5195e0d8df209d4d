"""Driving the counter the way the rules watch it."""

from __future__ import annotations

from pvz.anomalies.models import AnomalyFlag
from pvz.counter.models import Verification
from pvz.counter.services import session_finish, session_open, session_scan
from tests.counter.conftest import Counter
from tests.factories import CustomerFactory


def issue(counter: Counter, *, typed: int = 0, scanned: int = 0, verification=Verification.QR) -> None:
    """One visit of a new customer found by `verification` (default the scanned QR, which no rule
    counts): `typed` parcels entered by posting number, `scanned` by label barcode, all issued."""
    customer = CustomerFactory()
    session = session_open(
        actor=counter.operator, point=counter.point, customer=customer, verification=verification
    )
    for n in range(typed + scanned):
        parcel = counter.stored(customer)
        code = parcel.posting_number if n < typed else parcel.barcode
        session_scan(actor=counter.operator, session=session, code=code)
    session_finish(actor=counter.operator, session=session)


def rules_fired() -> list[str]:
    return list(AnomalyFlag.objects.order_by("id").values_list("rule", flat=True))
