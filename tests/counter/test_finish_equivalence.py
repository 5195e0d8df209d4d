"""Two ways to write a counter finish, the same rows (docs/adr/0006-scan-hot-path.md).

On PostgreSQL the finish decides every line in Python and writes the outcome in one call of
`pvz_issue_finish`; on SQLite (and here, forced) it writes each parcel through the ORM with a savepoint.
Random visits — parcels taken, refused for a reason, left on the shelf, or no longer issuable by the finish
(their deadline passed, issued elsewhere meanwhile) — are finished both ways on the same world, each rolled
back afterwards: the answers and every row written must be the same. PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pvz.core.errors import DomainError
from pvz.counter import finish_database
from pvz.counter.models import IssueLine, IssueSession
from pvz.counter.selectors import refusal_reasons_for
from pvz.counter.services import line_refuse, session_finish, session_scan
from pvz.network.models import Cell
from pvz.network.services import special_places_ensure
from pvz.shipments.models import CustomerCell, Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from tests.equivalence import isolated, outbox_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only"),
]

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
# What happens to each of the customer's parcels in the visit.
SKIP, TAKE, REFUSE, TAKE_EXPIRED, REFUSE_EXPIRED, TAKE_ISSUED_ELSEWHERE = range(6)


def _visit(counter: Any, plan: list[int]) -> IssueSession:
    special_places_ensure(actor=None, point=counter.point)
    parcels = [counter.stored(cell=("A-01-1", "A-01-2", "B-01-1")[n % 3]) for n in range(len(plan))]
    session = counter.session()
    reasons = refusal_reasons_for(partner=counter.partner)
    for n, (parcel, what) in enumerate(zip(parcels, plan, strict=True)):
        if what == SKIP:
            continue
        line = session_scan(actor=counter.operator, session=session, code=parcel.barcode).line
        if what in (REFUSE, REFUSE_EXPIRED):
            line_refuse(
                actor=counter.operator,
                session=session,
                line_id=line.pk,
                reason_id=reasons[n % len(reasons)].pk,
            )
        if what in (TAKE_EXPIRED, REFUSE_EXPIRED):
            Shipment.objects.filter(pk=parcel.pk).update(storage_deadline=NOW - dt.timedelta(minutes=1))
        if what == TAKE_ISSUED_ELSEWHERE:
            Shipment.objects.filter(pk=parcel.pk).update(status=Status.ISSUED, cell=None)
    return session


def _finish(counter: Any, session: IssueSession) -> Any:
    try:
        result = session_finish(actor=counter.operator, session=IssueSession.objects.get(pk=session.pk))
    except DomainError as error:
        return ("error", str(error.code), str(error.message), error.details)
    return [
        (
            o.line.pk,
            str(o.result),
            o.error and (str(o.error.code), str(o.error.message)),
            o.shipment.status,
            o.shipment.cell_id,
            o.shipment.version,
        )
        for o in result.lines
    ]


def _state() -> dict[str, Any]:
    return {
        "shipments": list(
            Shipment.objects.order_by("pk").values_list(
                "pk", "status", "cell__address", "version", "visit", "stored_at", "storage_deadline"
            )
        ),
        "events": list(
            ShipmentEvent.objects.order_by("pk").values_list(
                "shipment_id",
                "kind",
                "from_status",
                "to_status",
                "reason",
                "cell__address",
                "idempotency_key",
                "details",
                "visit",
                "actor_id",
                "point_id",
                "at",
            )
        ),
        "outbox": outbox_rows(),
        "lines": list(IssueLine.objects.order_by("pk").values_list("pk", "state", "result", "result_code")),
        "sessions": list(
            IssueSession.objects.order_by("pk").values_list(
                "pk", "status", "issued_count", "refused_count", "typed_issued", "finished_by_id"
            )
        ),
        "cells": list(Cell.objects.order_by("point_id", "address").values_list("address", "held")),
        "customer_cells": sorted(CustomerCell.objects.values_list("customer_id", "cell__address", "stored")),
    }


@given(plan=st.lists(st.integers(0, 5), min_size=1, max_size=5))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@example(plan=[TAKE, REFUSE, SKIP])
@example(plan=[TAKE_EXPIRED, REFUSE_EXPIRED, TAKE_ISSUED_ELSEWHERE, TAKE])
@example(plan=[SKIP, SKIP])
def test_the_function_and_the_orm_write_the_same(plan, counter, clock, monkeypatch) -> None:
    clock.set(NOW)
    with transaction.atomic():
        session = _visit(counter, plan)

        def both(database: bool) -> tuple[Any, dict[str, Any]]:
            with monkeypatch.context() as patch:
                patch.setattr(finish_database, "available", lambda: database)
                answer = _finish(counter, session)
            return answer, _state()

        orm_answer, orm_state = isolated(lambda: both(False))
        database_answer, database_state = isolated(lambda: both(True))
        transaction.set_rollback(True)

    assert database_answer == orm_answer
    for key in orm_state:
        assert database_state[key] == orm_state[key], key
