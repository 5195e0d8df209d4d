"""The migrations that made the counter's and the returns' SMS codes one table (counter 0009, returns 0005)
keep every code, its subject and its state: run from the state before them with an issue code and a return
code, then back again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pvz.counter.models import CodeKind, CustomerCode
from tests.factories import CustomerFactory, PickupPointFactory, UserFactory

BEFORE = [("counter", "0008_reasons_one_table"), ("returns", "0004_return_reason_proxy")]
AT = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
STATE = ("customer_id", "phone", "code_hash", "created_at", "expires_at", "attempts", "used_at")


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def _code(**fields: object) -> dict[str, object]:
    return {
        "phone": "+79160000001",
        "code_hash": "h",
        "created_at": AT,
        "expires_at": AT + dt.timedelta(minutes=10),
        **fields,
    }


@pytest.mark.django_db(transaction=True)
def test_issue_and_return_codes_survive_the_merge_and_its_reversal() -> None:
    point, customer, user = PickupPointFactory(), CustomerFactory(), UserFactory()
    opened = {"point_id": point.pk, "customer_id": customer.pk, "opened_by_id": user.pk, "opened_at": AT}

    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    session = old.get_model("counter", "IssueSession").objects.create(**opened)
    visit = old.get_model("returns", "ReturnVisit").objects.create(**opened)
    issue = old.get_model("counter", "CustomerCode").objects.create(
        session_id=session.pk, **_code(customer_id=customer.pk, attempts=2)
    )
    returned = old.get_model("returns", "ReturnCode").objects.create(
        visit_id=visit.pk, **_code(customer_id=customer.pk, used_at=AT + dt.timedelta(minutes=1))
    )
    issue_state = tuple(getattr(issue, name) for name in STATE)
    return_state = tuple(getattr(returned, name) for name in STATE)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    merged = list(CustomerCode.objects.order_by("pk").values_list("kind", "subject_id", *STATE))
    assert merged == [
        (CodeKind.ISSUE, session.pk, *issue_state),
        (CodeKind.RETURN, visit.pk, *return_state),
    ]

    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    assert list(old.get_model("counter", "CustomerCode").objects.values_list("session_id", *STATE)) == [
        (session.pk, *issue_state)
    ]
    assert list(old.get_model("returns", "ReturnCode").objects.values_list("visit_id", *STATE)) == [
        (visit.pk, *return_state)
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
