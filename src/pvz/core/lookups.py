"""Reading one row for a caller: the row, or NOT_FOUND (never "forbidden", so nothing about rows the caller
may not see is disclosed)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from pvz.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def found(queryset: models.QuerySet[M], **details: Any) -> M:
    """The first row of `queryset`; NOT_FOUND with `details` (what the caller asked for) without one."""
    row = queryset.first()
    if row is None:
        raise NotFound(details=details)
    return row


def at_point(queryset: models.QuerySet[M], point: models.Model | None) -> models.QuerySet[M]:
    """`queryset` narrowed to the rows of `point`, or all of it when no point is given."""
    return queryset if point is None else queryset.filter(point=point)
