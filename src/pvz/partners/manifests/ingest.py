"""Manifest ingest: a partner announces a direct carriage with its totes and shipments in one request,
validated as a whole (`manifest_validate`) and written in one transaction (`manifest_write`), audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from pvz.audit.services import audit_record
from pvz.core.errors import Conflict
from pvz.inbound.models import Carriage
from pvz.network.models import Partner
from pvz.partners.manifests.validation import ValidManifest, manifest_validate
from pvz.partners.manifests.writing import manifest_write


def manifest_ingest(*, partner: Partner, data: Any, lines: Sequence[int] | None = None) -> Carriage:
    """Validate a partner's manifest as a whole (MANIFEST_INVALID with every line's errors, nothing stored)
    and write it as a direct carriage IN_TRANSIT with its shipments EXPECTED; audited as
    `carriage.manifest_ingested`. `lines` numbers the shipments for errors (the CSV upload's row numbers);
    by default they count from 1."""
    valid = manifest_validate(partner=partner, data=data, lines=lines)
    try:
        carriage = _ingest_write(partner=partner, valid=valid)
    except IntegrityError:
        # A concurrent manifest of the partner took the carriage number or a barcode first (another point:
        # the point lock does not serialise the two); the checks above ran before it committed.
        raise Conflict(details={"carriage": valid.carriage_number}) from None
    return carriage


def _ingest_write(*, partner: Partner, valid: ValidManifest) -> Carriage:
    with transaction.atomic():
        carriage, counts = manifest_write(
            partner=partner,
            point=valid.point,
            carriage_number=valid.carriage_number,
            eta=valid.eta,
            customers=valid.customers,
            shipments=valid.shipments,
        )
        audit_record(
            action="carriage.manifest_ingested",
            point_id=valid.point.pk,
            obj=carriage,
            details={
                "partner": partner.code,
                "number": carriage.number,
                "shipments": counts.shipments,
                "totes": counts.totes,
                "customers_new": counts.customers_new,
                "orders_new": counts.orders_new,
            },
        )
    return carriage
