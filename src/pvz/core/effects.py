"""Side effects run only after the surrounding transaction commits (never from signals)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

from pvz.core.logging import get_logger

log = get_logger(__name__)


def after_commit(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Schedule `func(*args, **kwargs)` for after commit; a failing side effect is logged, never raised
    into the request that already committed its change."""

    def run() -> None:
        try:
            func(*args, **kwargs)
        except Exception:
            log.exception("side_effect_failed", effect=getattr(func, "__qualname__", repr(func)))

    transaction.on_commit(partial(run), robust=False)
