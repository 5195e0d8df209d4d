"""Parcels put into an issue session by their posting number, typed in rather than scanned."""

from __future__ import annotations

from pvz.core import clock
from pvz.counter.models import IssueLine, TypedParcel


def typed_parcel_record(*, line: IssueLine) -> None:
    """Note that the parcel of `line` was found by its posting number: typed in, not scanned."""
    TypedParcel.objects.get_or_create(line=line, defaults={"at": clock.now()})


def typed_issued_count(*, line_ids: list[int]) -> int:
    """How many of these issued lines were typed in, not scanned (for `IssueSession.typed_issued`)."""
    return TypedParcel.objects.filter(line_id__in=line_ids).count() if line_ids else 0
