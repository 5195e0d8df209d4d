"""The lifecycle of an inventory count (inventory.statuses): every pair of its table, and the two status
changes the use cases make through it."""

from __future__ import annotations

import pytest

from pvz.inventory.models import CountStatus as C
from pvz.inventory.models import InventoryCount
from pvz.inventory.services import inventory_cancel, inventory_finish, inventory_start
from pvz.inventory.statuses import COUNT
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_count_table() -> None:
    assert_table(COUNT, {(C.OPEN, C.FINISHED), (C.OPEN, C.CANCELLED)})


def test_finished_and_cancelled_counts_are_final() -> None:
    assert COUNT.next(C.FINISHED) == frozenset()
    assert COUNT.next(C.CANCELLED) == frozenset()


@all_pairs(COUNT)
def test_every_count_pair(from_status: C, to_status: C) -> None:
    assert_pair(COUNT, from_status, to_status)


def test_the_table_refuses_in_the_words_of_a_closed_count() -> None:
    assert str(COUNT.message) == "Эта инвентаризация уже завершена или отменена. Сканы больше не принимаются."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("close", "status"),
    [(inventory_finish, C.FINISHED), (inventory_cancel, C.CANCELLED)],
    ids=["finish", "cancel"],
)
def test_closing_an_open_count_moves_it_through_the_table(shop, close, status) -> None:
    count = inventory_start(actor=shop.manager, point=shop.point)

    close(actor=shop.manager, count=count)

    assert InventoryCount.objects.get(pk=count.pk).status == status
