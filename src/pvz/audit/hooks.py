"""The audit records of other apps' writes, shaped here so each hook in their code stays one line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pvz.audit.models import AuditRecord
from pvz.audit.services import audit_record

if TYPE_CHECKING:
    from django.db import models


def audit_customer_code_sent(scope: models.Model, *, customer_id: int) -> AuditRecord:
    """A code texted to a customer (issue session or return visit); never the code itself."""
    point_id: Any = getattr(scope, "point_id", None)
    return audit_record(
        action="customer.code_sent", point_id=point_id, obj=scope, details={"customer": customer_id}
    )
