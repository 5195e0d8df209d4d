"""Running actions at the same moment in threads, for tests of concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection


def race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = actions[index]()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def skip_on_in_memory_sqlite() -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads of an in-memory SQLite test database share one connection cache that fails instead of
        # waiting on a lock; the file-backed WAL database (`make test` uses one) and PostgreSQL queue writers.
        pytest.skip("needs a file or server database where writers wait for each other")
