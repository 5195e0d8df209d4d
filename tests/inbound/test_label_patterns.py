"""Acceptance scans read the partners' label barcode patterns: a partner's label without a shipment is put
aside as surplus without data, a code that is nobody's label is refused, and namesakes of two partners
resolve to the carriage partner's parcel."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pvz.core.errors import ErrorCode
from pvz.inbound.models import AcceptanceScan, ScanOutcomeKind
from pvz.inbound.selectors import acceptance_progress
from pvz.inbound.services import acceptance_close, acceptance_scan, acceptance_undo_last
from pvz.shipments.errors import IdempotencyMismatch
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import ManifestLineFactory, PartnerFactory, PickupPointFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

K = ScanOutcomeKind
# What the simulator prints on labels: `ii` + 11 digits, or 15 digits.
LABELS = [r"ii\d{11}", r"\d{15}"]
EAN13 = "4607001234567"  # a product's own barcode, as found on the box inside the parcel


def scan(delivery, acceptance, code, *, scan_id=None):
    return acceptance_scan(
        actor=delivery.operator, acceptance=acceptance, code=code, scan_id=scan_id or uuid.uuid4()
    )


@pytest.fixture
def labelled(delivery):
    """The delivery with its partner's label patterns set."""
    delivery.partner.name = "Ozon"
    delivery.partner.barcode_patterns = LABELS
    delivery.partner.save()
    delivery.carriage.partner.refresh_from_db()
    return delivery


# ---- outcomes ----


def test_the_carriage_partners_label_without_a_shipment_is_put_aside_as_a_label_without_data(
    labelled, acceptance
) -> None:
    outcome = scan(labelled, acceptance, "II99999999999")

    assert outcome.kind == K.UNKNOWN_LABEL
    assert outcome.flagged
    assert outcome.scan.label_partner == labelled.partner
    assert outcome.message == (
        "Этикетка Ozon, но такого отправления нет в системе. Отложите его — оно войдёт в акт как "
        "излишек без данных."
    )
    assert AcceptanceScan.objects.get().outcome == K.UNKNOWN_LABEL
    assert not ShipmentEvent.objects.exists()


def test_a_label_scanned_in_the_russian_layout_matches_after_normalisation(labelled, acceptance) -> None:
    outcome = scan(labelled, acceptance, "шш99999999999")

    assert outcome.kind == K.UNKNOWN_LABEL
    assert outcome.scan.code == "ii99999999999"


def test_another_partners_label_is_named_as_that_partners(labelled, acceptance) -> None:
    wb = PartnerFactory(name="Wildberries", barcode_patterns=[r"wb\d{10}"])

    outcome = scan(labelled, acceptance, "WB1234567890")

    assert outcome.kind == K.UNKNOWN_LABEL
    assert outcome.scan.label_partner == wb
    assert "Этикетка Wildberries" in outcome.message


def test_a_code_of_no_partners_pattern_is_not_a_label_and_changes_nothing(labelled, acceptance) -> None:
    outcome = scan(labelled, acceptance, EAN13)

    assert outcome.kind == K.NOT_A_LABEL
    assert not outcome.flagged
    assert outcome.scan.label_partner is None
    assert outcome.message == (
        "Это не этикетка отправления (штрихкод товара?). Отсканируйте этикетку партнёра."
    )
    assert not ShipmentEvent.objects.exists()


def test_a_typed_posting_number_that_names_nothing_stays_unknown(labelled, acceptance) -> None:
    assert scan(labelled, acceptance, "12345678-0001-1").kind == K.UNKNOWN


def test_a_partner_without_patterns_keeps_unknown_for_any_code(delivery, acceptance) -> None:
    assert scan(delivery, acceptance, EAN13).kind == K.UNKNOWN
    assert scan(delivery, acceptance, "ii99999999999").kind == K.UNKNOWN


def test_without_own_patterns_another_partners_label_is_still_recognised(delivery, acceptance) -> None:
    ozon = PartnerFactory(name="Ozon", barcode_patterns=LABELS)

    label = scan(delivery, acceptance, "ii99999999999")
    other = scan(delivery, acceptance, EAN13)

    assert (label.kind, label.scan.label_partner) == (K.UNKNOWN_LABEL, ozon)
    assert other.kind == K.UNKNOWN  # the carriage's partner has no patterns to refuse it by


def test_a_known_parcel_is_accepted_even_when_its_barcode_fits_no_pattern(labelled, acceptance) -> None:
    labelled.partner.barcode_patterns = [r"zz\d{5}"]
    labelled.partner.save()
    acceptance.carriage.partner.refresh_from_db()
    parcel = labelled.shipments()[0]

    assert scan(labelled, acceptance, parcel.barcode).kind == K.ACCEPTED


def test_a_tote_code_is_untouched_by_label_patterns(labelled, acceptance) -> None:
    assert scan(labelled, acceptance, "%101%55555555555").kind == K.UNKNOWN


# ---- namesakes of two partners ----


def test_the_carriage_partners_parcel_wins_over_a_newer_namesake_of_another_partner_here(
    labelled, acceptance
) -> None:
    ours = ShipmentFactory(partner=labelled.partner, point=labelled.point, barcode="ii55555555555")
    ManifestLineFactory(carriage=labelled.carriage, shipment=ours)
    theirs = ShipmentFactory(point=labelled.point, barcode="ii55555555555")
    # `updated_at` follows the real time, not the test clock: a day ahead is newer whatever the clock.
    Shipment.objects.filter(pk=theirs.pk).update(updated_at=timezone.now() + dt.timedelta(days=1))

    outcome = scan(labelled, acceptance, "ii55555555555")

    assert (outcome.kind, outcome.shipment) == (K.ACCEPTED, ours)
    assert Shipment.objects.get(pk=theirs.pk).status == Status.EXPECTED


def test_the_carriage_partners_label_of_another_point_is_put_aside_not_taken_for_a_namesake_here(
    labelled, acceptance
) -> None:
    elsewhere = ShipmentFactory(partner=labelled.partner, point=PickupPointFactory(), barcode="ii55555555555")
    namesake_here = ShipmentFactory(point=labelled.point, barcode="ii55555555555")

    outcome = scan(labelled, acceptance, "ii55555555555")

    assert (outcome.kind, outcome.shipment) == (K.OTHER_POINT, elsewhere)
    assert Shipment.objects.get(pk=namesake_here.pk).status == Status.EXPECTED


def test_without_patterns_the_namesake_of_this_point_still_wins(delivery, acceptance) -> None:
    ShipmentFactory(partner=delivery.partner, point=PickupPointFactory(), barcode="ii55555555555")
    namesake_here = ShipmentFactory(point=delivery.point, barcode="ii55555555555")

    outcome = scan(delivery, acceptance, "ii55555555555")

    assert (outcome.kind, outcome.shipment) == (K.SURPLUS, namesake_here)


# ---- idempotency and undo ----


def test_a_replayed_label_scan_answers_the_same_and_writes_nothing(labelled, acceptance) -> None:
    scan_id = uuid.uuid4()
    first = scan(labelled, acceptance, "ii99999999999", scan_id=scan_id)

    again = scan(labelled, acceptance, "шш99999999999", scan_id=scan_id)

    assert again.replayed is True
    assert (again.kind, again.scan.pk, again.message) == (first.kind, first.scan.pk, first.message)
    assert again.scan.label_partner == labelled.partner
    assert AcceptanceScan.objects.count() == 1


def test_the_same_scan_id_with_another_code_is_a_mismatch(labelled, acceptance) -> None:
    scan_id = uuid.uuid4()
    scan(labelled, acceptance, "ii99999999999", scan_id=scan_id)

    with pytest.raises(IdempotencyMismatch) as error:
        scan(labelled, acceptance, EAN13, scan_id=scan_id)

    assert error.value.code == ErrorCode.IDEMPOTENCY_MISMATCH
    assert AcceptanceScan.objects.count() == 1


def test_undo_strikes_out_a_label_scan(labelled, acceptance) -> None:
    scan(labelled, acceptance, "ii99999999999")

    result = acceptance_undo_last(actor=labelled.operator, acceptance=acceptance)

    assert result.scan.outcome == K.UNKNOWN_LABEL and result.scan.undone_at is not None
    assert result.shipment is None


def test_the_progress_counts_each_code_put_aside_once_until_undone(labelled, acceptance) -> None:
    assert scan(labelled, acceptance, "ii99999999999").progress.put_aside == 1
    assert scan(labelled, acceptance, "ii99999999999").progress.put_aside == 1  # the same label again
    assert scan(labelled, acceptance, EAN13).progress.put_aside == 1  # not a label: nothing put aside
    assert scan(labelled, acceptance, "ii88888888888").progress.put_aside == 2

    acceptance_undo_last(actor=labelled.operator, acceptance=acceptance)

    assert acceptance_progress(acceptance=acceptance).put_aside == 1


# ---- the act ----


def test_the_act_lists_labels_without_data_once_each_and_no_other_unknown_code(labelled, acceptance) -> None:
    wb = PartnerFactory(name="Wildberries", barcode_patterns=[r"wb\d{10}"])
    scan(labelled, acceptance, "ii99999999999")
    scan(labelled, acceptance, "шш99999999999")  # the same parcel scanned again
    scan(labelled, acceptance, "wb1234567890")
    scan(labelled, acceptance, "ii88888888888")
    acceptance_undo_last(actor=labelled.operator, acceptance=acceptance)  # a slip, taken back
    scan(labelled, acceptance, EAN13)
    scan(labelled, acceptance, "12345678-0001-1")

    act = acceptance_close(actor=labelled.operator, acceptance=acceptance)

    assert [(line.barcode, line.partner, line.posting_number) for line in act.surplus_without_data] == [
        ("ii99999999999", "Ozon", ""),
        ("wb1234567890", wb.name, ""),
    ]
    assert act.counts["surplus_without_data"] == 2
    assert act.surplus == () and act.other_point == ()


def test_a_label_that_named_a_shipment_later_in_the_acceptance_is_not_without_data(
    labelled, acceptance
) -> None:
    scan(labelled, acceptance, "ii55555555555")
    ShipmentFactory(partner=labelled.partner, point=labelled.point, barcode="ii55555555555")
    scan(labelled, acceptance, "ii55555555555")

    act = acceptance_close(actor=labelled.operator, acceptance=acceptance)

    assert act.surplus_without_data == ()
    assert [line.barcode for line in act.surplus] == ["ii55555555555"]


# ---- cost of a scan ----


def _queries_of_a_scan(delivery, acceptance, code: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        scan(delivery, acceptance, code)
    return len(captured)


def test_a_found_parcel_costs_what_it_did_before_patterns(labelled, acceptance) -> None:
    first, second = labelled.in_tote()[:2]
    scan(labelled, acceptance, first.barcode)

    # Measured before patterns existed: 17 for the second parcel of a tote, manual placement; 16 since
    # the progress is read from counters (issue 13). On PostgreSQL the whole scan is one function call.
    assert _queries_of_a_scan(labelled, acceptance, second.barcode) == (
        1 if connection.vendor == "postgresql" else 16
    )


def test_an_unknown_code_costs_at_most_one_query_more_than_before_patterns(labelled, acceptance) -> None:
    PartnerFactory(name="Wildberries", barcode_patterns=[r"wb\d{10}"])
    scan(labelled, acceptance, "ii00000000001")

    # Measured before patterns existed: 9 for an UNKNOWN code, 8 since the progress is read from counters
    # (issue 13). The carriage's partner came with the acceptance, so its own label costs nothing;
    # anything else reads the partners' patterns once. On PostgreSQL the function is asked first and
    # leaves an unknown code to the Python path: one statement more.
    base = 9 if connection.vendor == "postgresql" else 8
    assert _queries_of_a_scan(labelled, acceptance, "ii00000000002") == base
    assert _queries_of_a_scan(labelled, acceptance, "wb1234567890") == base + 1
    assert _queries_of_a_scan(labelled, acceptance, EAN13) == base + 1


# ---- API and screen ----


def _post(client, url, body=None):
    return client.post(
        url, body or {}, content_type="application/json", headers={"Idempotency-Key": str(uuid.uuid4())}
    )


def test_the_api_answers_the_new_outcomes_and_lists_them_in_the_act(signed_in, labelled, acceptance) -> None:
    client = signed_in(labelled.operator)
    scans = f"/api/v1/acceptances/{acceptance.pk}/scans"

    label = _post(client, scans, {"code": "шш99999999999", "scan_id": str(uuid.uuid4())}).json()
    product = _post(client, scans, {"code": EAN13, "scan_id": str(uuid.uuid4())}).json()
    act = _post(client, f"/api/v1/acceptances/{acceptance.pk}/close").json()

    assert (label["outcome"], label["flagged"], label["label_partner"]) == ("UNKNOWN_LABEL", True, "Ozon")
    assert label["shipment"] is None and "Этикетка Ozon" in label["message"]
    assert (product["outcome"], product["flagged"], product["label_partner"]) == ("NOT_A_LABEL", False, None)
    assert act["counts"]["surplus_without_data"] == 1
    assert [(line["barcode"], line["partner"]) for line in act["surplus_without_data"]] == [
        ("ii99999999999", "Ozon")
    ]


def _screen_client(client, delivery):
    client.force_login(delivery.operator, backend="pvz.accounts.backends.PhoneCodeBackend")
    session = client.session
    session[POINT_SESSION_KEY] = delivery.point.pk
    session.save()
    return client


def _screen_scan(client, acceptance, code: str) -> str:
    response = client.post(
        f"/acceptance/{acceptance.pk}/scan/",
        {"code": code, "scan_id": str(uuid.uuid4())},
        headers={"X-Pvz-Scanner": "1"},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_screen_warns_to_put_a_label_without_data_aside(client, labelled, acceptance) -> None:
    html = _screen_scan(_screen_client(client, labelled), acceptance, "ii99999999999")

    assert 'data-kind="UNKNOWN_LABEL"' in html and 'data-scan-outcome="warning"' in html
    assert "acc-lead-warning" in html
    assert "Этикетка Ozon, но такого отправления нет в системе." in html


def test_the_screen_refuses_a_product_barcode_with_the_error_sound(client, labelled, acceptance) -> None:
    html = _screen_scan(_screen_client(client, labelled), acceptance, EAN13)

    assert 'data-kind="NOT_A_LABEL"' in html and 'data-scan-outcome="error"' in html
    assert "Это не этикетка отправления (штрихкод товара?)." in html


def test_the_printed_act_has_the_labels_without_data(client, labelled, acceptance) -> None:
    client = _screen_client(client, labelled)
    _screen_scan(client, acceptance, "ii99999999999")
    _screen_scan(client, acceptance, EAN13)
    acceptance_close(actor=labelled.operator, acceptance=acceptance)

    html = client.get(f"/acceptance/{acceptance.pk}/act/").content.decode()

    section = re.search(r'data-act-list="surplus_without_data">(.*?)</section>', html, re.S)
    assert section is not None
    assert re.findall(r'data-act-line="([^"]+)"', section.group(1)) == ["ii99999999999"]
    assert "Ozon" in section.group(1)
    assert EAN13 not in html
    assert 'data-count="surplus_without_data">1<' in html
