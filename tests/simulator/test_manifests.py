"""The manifest generator: same seed, same manifest; every value in the shape a point really sees."""

from __future__ import annotations

import re
from collections import Counter

from pvz.simulator.manifests import CATEGORIES, WEIGHT_RANGE_G, manifest_generate

POSTING = re.compile(r"^(\d{8})-\d{4}-\d$")
BARCODE = re.compile(r"^(ii\d{11}|\d{15})$")
TOTE = re.compile(r"^%101%\d{11}$")
PHONE = re.compile(r"^\+79\d{9}$")
CARRIAGE = re.compile(r"^CAR-\d{10}$")


def test_same_seed_gives_the_same_manifest():
    assert manifest_generate(seed=7, parcels=40, totes=3) == manifest_generate(seed=7, parcels=40, totes=3)


def test_different_seeds_give_different_manifests():
    assert manifest_generate(seed=7, parcels=40) != manifest_generate(seed=8, parcels=40)


def test_identifiers_follow_the_real_formats():
    manifest = manifest_generate(seed=1, parcels=200, totes=5)

    assert CARRIAGE.match(manifest.carriage_number)
    assert len(manifest.tote_barcodes) == 5
    assert all(TOTE.match(t) for t in manifest.tote_barcodes)
    for parcel in manifest.parcels:
        match = POSTING.match(parcel.posting_number)
        assert match, parcel.posting_number
        assert match.group(1) == parcel.order_number
        assert BARCODE.match(parcel.barcode), parcel.barcode
    assert all(PHONE.match(c.phone) for c in manifest.customers)
    assert all(re.match(r"^\d{10}$", c.pickup_number) for c in manifest.customers)


def test_identifiers_are_unique_within_a_manifest():
    manifest = manifest_generate(seed=2, parcels=300, totes=4)

    assert len({p.posting_number for p in manifest.parcels}) == 300
    assert len({p.barcode for p in manifest.parcels}) == 300
    assert len({c.phone for c in manifest.customers}) == len(manifest.customers)


def test_explicit_carriage_number_is_kept():
    assert manifest_generate(seed=3, carriage_number="car-7710001").carriage_number == "CAR-7710001"


def test_sizes_are_skewed_to_small_and_weights_fit_the_size():
    manifest = manifest_generate(seed=3, parcels=1000, totes=6)

    sizes = Counter(p.size_class for p in manifest.parcels)
    assert sizes["S"] > sizes["M"] > sizes["L"] > sizes["XL"] > 0
    assert sizes["S"] + sizes["M"] > 700
    for parcel in manifest.parcels:
        low, high = WEIGHT_RANGE_G[parcel.size_class]
        assert low <= parcel.weight_g <= high


def test_bulky_parcels_travel_loose_and_others_in_a_manifest_tote():
    manifest = manifest_generate(seed=4, parcels=300, totes=3)

    for parcel in manifest.parcels:
        if parcel.size_class == "XL":
            assert parcel.tote_barcode is None
        else:
            assert parcel.tote_barcode in manifest.tote_barcodes


def test_money_is_integer_kopecks_and_cash_on_delivery_equals_the_value():
    manifest = manifest_generate(seed=5, parcels=500)

    values = [p.declared_value_kop for p in manifest.parcels]
    assert all(type(v) is int and v > 0 and v % 100 == 0 for v in values)
    due = [p for p in manifest.parcels if p.amount_due_kop]
    assert 0 < len(due) < len(manifest.parcels) / 2
    assert all(p.amount_due_kop == p.declared_value_kop for p in due)


def test_id_check_for_jewellery_and_above_the_threshold_only():
    manifest = manifest_generate(seed=6, parcels=800, id_check_threshold_kop=3_000_000)

    for parcel in manifest.parcels:
        expected = parcel.category == "Ювелирные изделия" or parcel.declared_value_kop > 3_000_000
        assert parcel.id_check_required is expected
    assert any(p.category == "Ювелирные изделия" for p in manifest.parcels)


def test_categories_fit_the_size_class():
    allowed = {c.name: c.sizes for c in CATEGORIES}
    manifest = manifest_generate(seed=8, parcels=400)

    assert all(p.size_class in allowed[p.category] for p in manifest.parcels)


def test_some_customers_collect_several_parcels_and_every_customer_has_one():
    manifest = manifest_generate(seed=9, parcels=60)

    per_customer = Counter(p.customer_phone for p in manifest.parcels)
    assert set(per_customer) == {c.phone for c in manifest.customers}
    assert max(per_customer.values()) >= 2
    assert all(re.match(r"^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$", c.name) for c in manifest.customers)
