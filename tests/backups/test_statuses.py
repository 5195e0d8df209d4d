"""The backup lifecycle (backups.statuses.BACKUP): every pair."""

from __future__ import annotations

from pvz.backups.models import BackupStatus as B
from pvz.backups.statuses import BACKUP
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_table() -> None:
    assert_table(BACKUP, {(B.RUNNING, B.DONE), (B.RUNNING, B.FAILED), (B.DONE, B.PRUNED)})


@all_pairs(BACKUP)
def test_every_pair(from_status: B, to_status: B) -> None:
    assert_pair(BACKUP, from_status, to_status)
