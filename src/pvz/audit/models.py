"""The append-only audit log: one hash-chained record per audited action, and the head of the chain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pvz.core.models import AppendOnlyModel, AppendOnlyQuerySet

GENESIS_HASH = "0" * 64
USER_AGENT_MAX = 300


class AuditRecord(AppendOnlyModel):
    """Who did what, from where, at which point, to which object. `hash` is sha256 of the previous
    record's hash and this record's canonical fields (`audit.chain.record_hash`); never updated or
    deleted, so editing or removing a row breaks the chain that `verify_audit_chain` walks."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_phone = models.CharField(max_length=16, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    # By name, not by import: audit sits under every app, network's included.
    point = models.ForeignKey(
        "network.PickupPoint", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_records"
    )
    action = models.CharField(_("действие"), max_length=40)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet["AuditRecord"].as_manager()
    append_only_message = "audit records are append-only"

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["point", "-seq"]),
            models.Index(fields=["action", "-seq"]),
            models.Index(fields=["actor_phone", "-seq"]),
            models.Index(fields=["object_id", "-seq"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """One row: the newest record's seq and hash. Writers lock it, so concurrent writers queue and never
    fork the chain; the verifier also checks it, so cutting records off the end is noticed."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"#{self.seq}"
