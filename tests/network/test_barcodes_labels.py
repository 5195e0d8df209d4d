"""Whose label a scanned code is, by the partners' barcode patterns (`network.barcodes`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pvz.network.barcodes import barcode_matches, label_partners, partner_label_matches
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_patterns_match_in_full_and_ignore_case() -> None:
    assert barcode_matches([r"II\d{11}"], "ii11807135000")
    assert barcode_matches([r"ii\d{11}"], "II11807135000")
    assert not barcode_matches([r"ii\d{11}"], "ii118071350001")
    assert not barcode_matches([r"ii\d{11}"], "xii11807135000")


def test_a_code_is_the_label_of_every_partner_whose_pattern_it_matches_by_name() -> None:
    wb = PartnerFactory(name="Wildberries", barcode_patterns=[r"\d{15}"])
    ozon = PartnerFactory(name="Ozon", barcode_patterns=[r"ii\d{11}", r"\d{15}"])
    PartnerFactory(name="Без шаблонов")

    assert label_partners("ii11807135000") == [ozon]
    assert label_partners("123456789012345") == [ozon, wb]
    assert label_partners("4607001234567") == []


def test_a_code_typed_in_the_russian_layout_matches_after_normalisation() -> None:
    ozon = PartnerFactory(barcode_patterns=[r"ii\d{11}"])

    assert label_partners("шш11807135000") == [ozon]
    assert partner_label_matches(ozon, " шш11807135000\n")


def test_a_partner_without_patterns_recognises_nothing() -> None:
    plain = PartnerFactory()

    assert not partner_label_matches(plain, "ii11807135000")
    assert label_partners("ii11807135000") == []


def test_an_overlong_or_empty_code_is_nobodys_label() -> None:
    PartnerFactory(barcode_patterns=[r"\d+"])

    assert label_partners("") == []
    assert label_partners("1" * 65) == []


def test_finding_the_owners_reads_the_patterns_in_one_query() -> None:
    for index in range(5):
        PartnerFactory(barcode_patterns=[rf"p{index}\d{{6}}"])

    with CaptureQueriesContext(connection) as captured:
        owners = label_partners("p3123456")

    assert [owner.barcode_patterns for owner in owners] == [[r"p3\d{6}"]]
    assert len(captured) == 1
