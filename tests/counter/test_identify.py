"""Verifying the customer: pickup code, rotating QR token (exact lifetime), search (no verification)."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.core.errors import DomainError
from pvz.core.scan import ScanKind, classify_scan, normalize_scan
from pvz.counter.commands import CounterCommand, command_classify
from pvz.counter.identify import customer_identify, customer_search
from pvz.counter.models import Verification
from pvz.counter.tokens import qr_token_mint, qr_token_verify
from pvz.shipments.pickup_codes import pickup_code_for, pickup_code_suffix
from tests.counter.conftest import stored_parcel
from tests.factories import CustomerFactory, PickupPointFactory

pytestmark = pytest.mark.django_db

# The layout a scanner types in when the counter PC has Russian switched on.
EN_TO_RU = str.maketrans(
    "qwertyuiop[]asdfghjkl;'zxcvbnm,.QWERTYUIOPASDFGHJKLZXCVBNM",
    "йцукенгшщзхъфывапролджэячсмитьбюЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬ",
)


def code_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    return str(error.value.code)


def test_right_pickup_code_verifies_its_customer(counter, clock) -> None:
    found = customer_identify(code=pickup_code_for(counter.customer), now=clock.now())

    assert found.customer == counter.customer
    assert found.verification == Verification.PICKUP_CODE


def test_wrong_pickup_code_digits_are_code_invalid(counter, clock) -> None:
    right = pickup_code_suffix(counter.customer.pickup_number)
    wrong = f"{(int(right) + 1) % 10000:04d}"

    with pytest.raises(DomainError) as error:
        customer_identify(code=f"{counter.customer.pickup_number}*{wrong}", now=clock.now())

    assert code_of(error) == "CODE_INVALID"


def test_unknown_pickup_number_is_not_found(counter, clock) -> None:
    with pytest.raises(DomainError) as error:
        customer_identify(code=f"99999999999*{pickup_code_suffix('99999999999')}", now=clock.now())

    assert code_of(error) == "NOT_FOUND"


def test_order_number_or_phone_alone_never_verifies(counter, clock) -> None:
    for code in ("23281294", counter.customer.phone):
        with pytest.raises(DomainError) as error:
            customer_identify(code=code, now=clock.now())
        assert code_of(error) == "VALIDATION_FAILED"


def test_qr_token_is_valid_for_exactly_300_seconds(clock) -> None:
    customer = CustomerFactory()
    token = qr_token_mint(customer=customer, now=clock.now())
    minted = clock.now()

    assert qr_token_verify(token=token, now=minted).pickup_number == customer.pickup_number
    assert qr_token_verify(token=token, now=minted + dt.timedelta(seconds=300)).minted_at == minted
    for late in (dt.timedelta(seconds=300, microseconds=1), dt.timedelta(seconds=301)):
        with pytest.raises(DomainError) as error:
            qr_token_verify(token=token, now=minted + late)
        assert code_of(error) == "CODE_EXPIRED"


def test_qr_token_minted_mid_second_counts_from_the_whole_second(clock) -> None:
    customer = CustomerFactory()
    token = qr_token_mint(customer=customer, now=clock.now() + dt.timedelta(microseconds=999_999))

    assert qr_token_verify(token=token, now=clock.now() + dt.timedelta(seconds=300))
    with pytest.raises(DomainError):
        qr_token_verify(token=token, now=clock.now() + dt.timedelta(seconds=300, microseconds=1))


def test_qr_token_from_up_to_30_seconds_ahead_is_accepted_more_is_invalid(clock) -> None:
    customer = CustomerFactory()
    now = clock.now()

    assert qr_token_verify(
        token=qr_token_mint(customer=customer, now=now + dt.timedelta(seconds=30)), now=now
    )
    with pytest.raises(DomainError) as error:
        qr_token_verify(token=qr_token_mint(customer=customer, now=now + dt.timedelta(seconds=31)), now=now)
    assert code_of(error) == "CODE_INVALID"


def test_tampered_qr_token_is_code_invalid(clock) -> None:
    customer, other = CustomerFactory(), CustomerFactory()
    token = qr_token_mint(customer=customer, now=clock.now())
    prefix, number, minted, signature = token.split("-")
    forged = [
        f"{prefix}-{other.pickup_number}-{minted}-{signature}",  # another customer's number
        f"{prefix}-{number}-{int(minted) + 60}-{signature}",  # extended lifetime
        f"{prefix}-{number}-{minted}-{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        f"{prefix}-{number}-{minted}",
    ]
    for candidate in forged:
        with pytest.raises(DomainError) as error:
            qr_token_verify(token=candidate, now=clock.now())
        assert code_of(error) == "CODE_INVALID", candidate


def test_qr_token_scanned_in_russian_layout_or_lower_case_still_verifies(clock) -> None:
    customer = CustomerFactory()
    token = qr_token_mint(customer=customer, now=clock.now())

    for typed in (token.translate(EN_TO_RU), token.lower(), f" {token}\n"):
        assert classify_scan(normalize_scan(typed)).kind is ScanKind.COUNTER_QR
        found = customer_identify(code=typed, now=clock.now())
        assert (found.customer, found.verification) == (customer, Verification.QR)


def test_finish_command_barcode_survives_the_russian_layout() -> None:
    assert command_classify("#FINISH") is CounterCommand.FINISH
    assert command_classify("№АШТШЫР") is CounterCommand.FINISH
    assert command_classify("№аштшыр") is CounterCommand.FINISH
    assert command_classify("#CANCEL") is CounterCommand.CANCEL
    assert command_classify("FINISH") is None
    assert command_classify("ii11807135000") is None


def test_search_finds_the_customer_by_order_posting_barcode_and_phone(counter) -> None:
    parcel = counter.stored()
    phone = counter.customer.phone  # +7916…
    spoken = f"8 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:]}"

    for query in (
        parcel.order.number,
        parcel.posting_number,
        parcel.barcode.upper().translate(EN_TO_RU),
        spoken,
    ):
        hits = customer_search(point=counter.point, query=query)
        assert [(h.customer, [s.pk for s in h.shipments]) for h in hits] == [
            (counter.customer, [parcel.pk])
        ], query


def test_search_does_not_find_customers_without_parcels_at_this_point(counter) -> None:
    elsewhere = stored_parcel(PickupPointFactory(), counter.customer, partner=counter.partner, cell="A-01-1")

    assert customer_search(point=counter.point, query=elsewhere.posting_number) == []
    assert customer_search(point=counter.point, query=counter.customer.phone) == []


def test_the_general_scan_field_resolves_a_genuine_qr_token_to_its_customer(counter, clock) -> None:
    from pvz.scanning.selectors import ScanTarget, scan_resolve

    parcel = counter.stored()
    token = qr_token_mint(customer=counter.customer, now=clock.now())

    found = scan_resolve(user=counter.operator, point=counter.point, raw=token)
    clock.advance(seconds=301)
    stale = scan_resolve(user=counter.operator, point=counter.point, raw=token)

    assert (found.target, found.customer, [s.pk for s in found.shipments]) == (
        ScanTarget.CUSTOMER,
        counter.customer,
        [parcel.pk],
    )
    assert stale.target is ScanTarget.NOT_FOUND
