"""A customer found by search is verified for a return by an SMS code (own codes, counter mechanics)."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.counter.models import Verification
from pvz.counter.services import session_open
from pvz.counter.verification import session_sms_code_send
from pvz.returns.services import return_visit_open
from pvz.returns.verification import return_sms_code_send, return_sms_code_try
from tests.counter.conftest import last_sms_code, wrong
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_searched_customer_is_verified_by_the_sms_code(desk, django_capture_on_commit_callbacks):
    desk.issued()
    visit = return_visit_open(actor=desk.operator, point=desk.point, customer_id=desk.customer.pk)
    assert visit.verification == Verification.NONE

    return_sms_code_send(actor=desk.operator, visit=visit)
    code = last_sms_code(desk.customer.phone)
    refusal = return_sms_code_try(actor=desk.operator, visit=visit, code=wrong(code))
    assert refusal is not None and refusal.code == ErrorCode.CODE_INVALID
    assert refusal.details == {"attempts_left": 4}

    assert return_sms_code_try(actor=desk.operator, visit=visit, code=code) is None
    visit.refresh_from_db()
    assert visit.verification == Verification.SMS
    spent = return_sms_code_try(actor=desk.operator, visit=visit, code=code)
    assert spent is not None and spent.code == ErrorCode.CODE_INVALID


def test_a_second_code_within_a_minute_is_rate_limited(desk, clock):
    desk.issued()
    visit = return_visit_open(actor=desk.operator, point=desk.point, customer_id=desk.customer.pk)
    return_sms_code_send(actor=desk.operator, visit=visit)
    clock.advance(seconds=59)

    with pytest.raises(DomainError) as caught:
        return_sms_code_send(actor=desk.operator, visit=visit)
    assert caught.value.code == ErrorCode.RATE_LIMITED
    assert caught.value.details == {"retry_after": 1}

    clock.advance(seconds=1)
    return_sms_code_send(actor=desk.operator, visit=visit)


def test_only_a_customer_with_parcels_here_can_be_opened_from_search(desk):
    with pytest.raises(DomainError) as caught:
        return_visit_open(actor=desk.operator, point=desk.point, customer_id=CustomerFactory().pk)
    assert caught.value.code == ErrorCode.NOT_FOUND


@pytest.mark.parametrize("first", ["counter", "return"])
def test_counter_and_return_codes_share_one_rate_limit(desk, clock, first):
    desk.issued()
    visit = return_visit_open(actor=desk.operator, point=desk.point, customer_id=desk.customer.pk)
    session = session_open(actor=desk.operator, point=desk.point, customer=desk.customer)
    send = {
        "counter": lambda: session_sms_code_send(actor=desk.operator, session=session),
        "return": lambda: return_sms_code_send(actor=desk.operator, visit=visit),
    }
    send[first]()
    clock.advance(seconds=30)

    with pytest.raises(DomainError) as caught:
        send["return" if first == "counter" else "counter"]()
    assert caught.value.code == ErrorCode.RATE_LIMITED
    assert caught.value.details == {"retry_after": 30}
