"""Base model for every domain table, and the store of idempotent request outcomes."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class DatabaseCounted(models.Model):
    """A model with counters kept by database triggers (`maintained_fields`): Django never writes them.

    A counter is changed by the trigger in the same transaction as the row it counts, so an instance
    loaded earlier holds a value that may be stale by the time it is saved; `save()` therefore leaves
    the counters out of every UPDATE (an INSERT writes their defaults, zero)."""

    maintained_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [f.name for f in self._meta.concrete_fields if not f.primary_key]
            kwargs["update_fields"] = [name for name in fields if name not in self.maintained_fields]
        super().save(*args, **kwargs)


M = TypeVar("M", bound="AppendOnlyModel")


class AppendOnlyQuerySet(models.QuerySet[M]):
    """The rows of an `AppendOnlyModel`: no bulk update or delete either."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError(self.model.append_only_message)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(self.model.append_only_message)


class AppendOnlyModel(models.Model):
    """A table whose rows are written once and never updated or deleted (an audit trail, an event log);
    every refusal raises TypeError with `append_only_message`."""

    append_only_message: ClassVar[str]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(self.append_only_message)


class IdempotencyRecord(models.Model):
    """The stored outcome of one state-changing request, so a retried request gets the first answer.

    `scope` names who sent it ("user:12"; "partner:3" for partner keys later): keys are unique per scope,
    not globally, since clients generate them independently. `actor` is kept for the audit trail only.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fingerprint = models.CharField(max_length=64, help_text="sha256 hex of method, path and canonical body.")
    status_code = models.PositiveSmallIntegerField()
    # The JSON document as text, not a JSONField: PostgreSQL's jsonb reorders keys, and a replay must be
    # the same bytes as the first answer. "null" means an empty response (e.g. 204).
    response_json = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="uniq_idempotency_scope_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class PeriodicClaim(models.Model):
    """One row per periodic task and interval slot (wall-clock seconds // the task's interval). The
    scheduler that inserts it enqueues the task; any other scheduler running at the same time (one per app
    server) finds the slot taken and skips it, so a periodic job runs once per interval, not once per
    server. Rows older than two days are purged with the idempotency records."""

    task_path = models.CharField(max_length=200)
    slot = models.BigIntegerField()
    claimed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task_path", "slot"], name="uniq_periodic_claim")]
        indexes = [models.Index(fields=["claimed_at"], name="periodic_claim_claimed_at_idx")]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.slot}"
