"""`python -m pvz verify_audit_chain`: recompute the audit chain and every seal of the shipment history;
exit 1 at the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pvz.audit.chain import audit_chain_verify
from pvz.audit.sealing import audit_seals_verify


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and the sealed shipment history: prints OK with the counts, or "
        "the first broken seq."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"BROKEN at seq {report.broken_seq}: {report.problem} "
                f"({report.count} records verified before it)"
            )
        seals = audit_seals_verify()
        if not seals.ok:
            raise CommandError(
                f"BROKEN seal at seq {seals.broken_seq}: {seals.problem} "
                f"({seals.seals} seals verified before it)"
            )
        self.stdout.write(
            f"OK {report.count} records; {seals.seals} seals over {seals.events} shipment events"
        )
