"""`python -m pvz verify_audit_chain`: recompute the audit chain; exit 1 at the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pvz.audit.chain import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain: prints OK and the record count, or the first broken seq."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"BROKEN at seq {report.broken_seq}: {report.problem} "
                f"({report.count} records verified before it)"
            )
        self.stdout.write(f"OK {report.count} records")
