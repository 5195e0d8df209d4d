"""A scan carrying NUL bytes (a scanner's prefix, a fuzzer) is read without them: PostgreSQL text cannot
hold NUL, and the raw code is kept as scanned otherwise (schemathesis found the 500 it gave)."""

from __future__ import annotations

import uuid

import pytest

from pvz.inbound.models import AcceptanceScan
from pvz.inbound.services import acceptance_scan

pytestmark = pytest.mark.django_db


def test_an_acceptance_scan_with_nul_bytes(delivery, acceptance) -> None:
    barcode = delivery.shipments()[0].barcode

    outcome = acceptance_scan(
        actor=delivery.operator,
        acceptance_id=acceptance.pk,
        code=f"\x00{barcode}\x00",
        scan_id=uuid.uuid4(),
        auto_place=True,
    )

    assert str(outcome.kind) == "ACCEPTED"
    assert AcceptanceScan.objects.get(pk=outcome.scan.pk).raw_code == barcode
