"""`bulk_update_rows` writes exactly the named fields of each row, NULLs and times included, on SQLite
(Django's bulk_update) and on PostgreSQL (one UPDATE … FROM VALUES)."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.bulk import bulk_update_rows
from pvz.shipments.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_and_only_the_named_fields_change() -> None:
    first, second, untouched = CustomerFactory(name="А"), CustomerFactory(name="Б"), CustomerFactory(name="В")
    phones = {c.pk: c.phone for c in (first, second)}
    moment = dt.datetime(2026, 11, 27, 10, 30, 15, 123456, tzinfo=dt.UTC)
    first.name, first.anonymized_at, first.phone = "Анна «О'Хара»", moment, "+79990000000"
    second.name, second.anonymized_at = "", None

    bulk_update_rows(Customer, [first, second], ["name", "anonymized_at"])

    rows = {c.pk: (c.name, c.anonymized_at, c.phone) for c in Customer.objects.all()}
    assert rows[first.pk] == ("Анна «О'Хара»", moment, phones[first.pk])  # phone was not named
    assert rows[second.pk] == ("", None, phones[second.pk])
    assert rows[untouched.pk][0] == "В"


def test_nothing_to_write_runs_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        bulk_update_rows(Customer, [], ["name"])
