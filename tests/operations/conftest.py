from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.operations.processes import Database, TcpProxy, fresh_database


def postgres() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


@pytest.fixture(scope="module")
def ops_tmp() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pvz-ops-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def pg_database(ops_tmp: Path) -> Iterator[Database]:
    """A migrated PostgreSQL database of the module's own, that its processes may break and mend."""
    if not postgres():
        pytest.skip("the database fault tests run on PostgreSQL")
    with fresh_database(ops_tmp) as database:
        yield database


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy(("127.0.0.1", 5432))
    yield proxy
    proxy.stop()
