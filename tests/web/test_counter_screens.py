"""«Выдача» screens: the start page, a session from a pickup code or from search with an SMS code, scans
and their answers, refusal by command barcode, the one-action finish, the result and the command sheet."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.core.errors import DomainError
from pvz.counter.commands import CounterCommand, command_parse
from pvz.counter.models import IssueLine, IssueSession, LineState, SessionStatus, Verification
from pvz.counter.services import line_refuse_last, session_open, session_scan
from pvz.network.models import CellKind
from pvz.shipments.models import Shipment
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from tests.counter.conftest import OUTBOX, Counter, last_sms_code, stored_parcel, wrong
from tests.factories import CellFactory, CustomerFactory, PartnerFactory, PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db

SCANNER = {"X-Pvz-Scanner": "1"}
RUSSIAN_LAYOUT = str.maketrans(
    "qwertyuiop[]asdfghjkl;'zxcvbnm,.QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>#",
    "йцукенгшщзхъфывапролджэячсмитьбюЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ№",
)


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> None:
    settings.PVZ_SMS_BACKEND = OUTBOX


@pytest.fixture
def counter(clock) -> Counter:
    point = PickupPointFactory()
    for address in ("A-01-1", "A-01-2", "B-01-1"):
        CellFactory(point=point, address=address, capacity=20, size_class="XL")
    return Counter(
        point=point, partner=PartnerFactory(), customer=CustomerFactory(), operator=operator_at(point)
    )


@pytest.fixture
def desk(sign_in, counter) -> Client:
    return sign_in(counter.operator, counter.point)


def scan(client: Client, session: IssueSession, code: str, *, scan_id: str | None = None):
    data = {"code": code, "scan_id": scan_id or str(uuid.uuid4())}
    return client.post(f"/issue/{session.pk}/scan/", data, headers=SCANNER)


def attr(response, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', response.content.decode())
    assert match is not None, name
    return match.group(1)


def action() -> dict[str, str]:
    return {"action_id": str(uuid.uuid4())}


# ---- the start page ------------------------------------------------------------------------------------


def test_start_page_has_the_scan_field_the_search_and_the_open_sessions(desk, counter) -> None:
    other = CustomerFactory(name="Петров Пётр")
    session_open(actor=counter.operator, point=counter.point, customer=other)

    html = desk.get("/issue/").content.decode()

    assert 'action="/issue/identify/"' in html and "data-scanner-input" in html
    assert 'name="q"' in html
    assert "Петров Пётр" in html
    assert f'data-open-session="{IssueSession.objects.get(customer=other).pk}"' in html
    assert str(counter.operator) in html


def test_pickup_code_opens_a_verified_session_and_a_reload_joins_it(desk, counter) -> None:
    counter.stored(cell="B-01-1")
    code = pickup_code_for(counter.customer)

    response = desk.post("/issue/identify/", {"code": code, "scan_id": str(uuid.uuid4())}, headers=SCANNER)

    session = IssueSession.objects.get(customer=counter.customer)
    assert response.status_code == 200
    assert attr(response, "data-redirect") == f"/issue/{session.pk}/"
    assert session.verification == Verification.PICKUP_CODE
    # Typed in the Russian layout, without JavaScript: the same session, by redirect.
    again = desk.post("/issue/identify/", {"code": code, "scan_id": str(uuid.uuid4())})
    assert again.status_code == 302 and again["Location"] == f"/issue/{session.pk}/"
    assert IssueSession.objects.filter(customer=counter.customer).count() == 1
    page = desk.get(f"/issue/{session.pk}/").content.decode()
    assert 'data-fetch-cell="B-01-1"' in page
    assert counter.customer.name in page and f"***-**-{counter.customer.phone[-2:]}" in page


def test_a_wrong_pickup_code_answers_with_its_error_and_opens_nothing(desk, counter) -> None:
    number = counter.customer.pickup_number
    suffix = pickup_code_for(counter.customer).split("*")[1]
    bad = f"{number}*{(int(suffix) + 1) % 10000:04d}"

    response = desk.post("/issue/identify/", {"code": bad, "scan_id": str(uuid.uuid4())}, headers=SCANNER)

    assert response.status_code == 400
    assert attr(response, "data-error-code") == "CODE_INVALID"
    assert attr(response, "data-scan-outcome") == "error"
    assert not IssueSession.objects.exists()


def test_search_lists_the_customer_and_open_makes_an_unverified_session(desk, counter) -> None:
    parcel = counter.stored()

    html = desk.get("/issue/", {"q": parcel.posting_number}).content.decode()
    assert f'data-hit="{counter.customer.pk}"' in html and parcel.posting_number in html

    response = desk.post("/issue/open/", {"customer_id": counter.customer.pk, **action()})

    session = IssueSession.objects.get(customer=counter.customer)
    assert response.status_code == 302 and response["Location"] == f"/issue/{session.pk}/"
    assert session.verification == Verification.NONE
    page = desk.get(f"/issue/{session.pk}/").content.decode()
    assert "data-sms" in page and 'data-verified="none"' in page


def test_open_refuses_a_customer_with_nothing_at_this_point(desk, counter) -> None:
    stranger = CustomerFactory()

    response = desk.post("/issue/open/", {"customer_id": stranger.pk, **action()})

    assert response.status_code == 404
    assert not IssueSession.objects.exists()


def test_sms_code_flow_wrong_then_right_verifies_and_resend_is_limited(
    desk, counter, clock, django_capture_on_commit_callbacks
) -> None:
    counter.stored()
    session = counter.session(Verification.NONE)

    with django_capture_on_commit_callbacks(execute=True):
        sent = desk.post(f"/issue/{session.pk}/sms/", action())
    assert sent.status_code == 302 and sent["Location"].endswith("?sms=sent")
    code = last_sms_code(counter.customer.phone)

    too_soon = desk.post(f"/issue/{session.pk}/sms/", action())
    assert too_soon.status_code == 429
    assert 'data-error-code="RATE_LIMITED"' in too_soon.content.decode()
    assert "Повторите через 60 с." in too_soon.content.decode()

    miss = desk.post(f"/issue/{session.pk}/sms/verify/", {"code": wrong(code), **action()})
    assert miss.status_code == 400
    assert "Осталось попыток: 4" in miss.content.decode()

    hit = desk.post(f"/issue/{session.pk}/sms/verify/", {"code": code, **action()})
    assert hit.status_code == 302
    session.refresh_from_db()
    assert session.verification == Verification.SMS


def test_sms_code_expired_and_exhausted_are_shown(
    desk, counter, clock, django_capture_on_commit_callbacks
) -> None:
    session = counter.session(Verification.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/issue/{session.pk}/sms/", action())
    code = last_sms_code(counter.customer.phone)

    clock.advance(minutes=10, microseconds=1)
    expired = desk.post(f"/issue/{session.pk}/sms/verify/", {"code": code, **action()})
    assert expired.status_code == 400 and 'data-error-code="CODE_EXPIRED"' in expired.content.decode()

    clock.advance(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/issue/{session.pk}/sms/", action())
    fresh = last_sms_code(counter.customer.phone)
    for _ in range(5):
        last = desk.post(f"/issue/{session.pk}/sms/verify/", {"code": wrong(fresh), **action()})
    assert 'data-error-code="CODE_EXHAUSTED"' in last.content.decode()
    right = desk.post(f"/issue/{session.pk}/sms/verify/", {"code": fresh, **action()})
    assert 'data-error-code="CODE_EXHAUSTED"' in right.content.decode()


# ---- scanning ------------------------------------------------------------------------------------------


def test_a_scan_takes_the_parcel_and_a_repeat_changes_nothing(desk, counter) -> None:
    parcel = counter.stored(cell="A-01-2")
    session = counter.session()

    taken = scan(desk, session, parcel.barcode)
    assert taken.status_code == 200
    assert attr(taken, "data-kind") == "taken" and attr(taken, "data-scan-outcome") == "ok"
    assert f'data-line="{parcel.posting_number}"' in taken.content.decode()
    assert "data-fetch-done" in taken.content.decode()

    again = scan(desk, session, parcel.barcode.translate(RUSSIAN_LAYOUT))
    assert attr(again, "data-kind") == "already" and attr(again, "data-scan-outcome") == "prompt"
    assert session.lines.count() == 1


def test_the_same_scan_id_resent_returns_the_first_answer(desk, counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    key = str(uuid.uuid4())

    first = scan(desk, session, parcel.barcode, scan_id=key)
    replay = scan(desk, session, parcel.barcode, scan_id=key)

    assert attr(first, "data-kind") == attr(replay, "data-kind") == "taken"
    assert session.lines.count() == 1


def test_each_refused_scan_answers_with_its_code_and_records_nothing(desk, counter, clock) -> None:
    session = counter.session()
    stranger = counter.stored(customer=CustomerFactory())
    issued = counter.stored()
    shipment_transition(actor=None, shipment_id=issued.pk, to_status=Status.ISSUED)
    late = counter.stored()
    Shipment.objects.filter(pk=late.pk).update(storage_deadline=clock.now() - dt.timedelta(microseconds=1))
    elsewhere = stored_parcel(PickupPointFactory(), counter.customer, partner=counter.partner, cell="A-01-1")
    # A line left in another customer's open session (e.g. before a customer merge).
    busy = counter.stored()
    other = session_open(actor=operator_at(counter.point), point=counter.point, customer=CustomerFactory())
    IssueLine.objects.create(session=other, shipment=busy, scanned_at=clock.now(), scanned_by=other.opened_by)

    expected = {
        stranger.barcode: ("WRONG_CUSTOMER", 409),
        issued.barcode: ("ALREADY_ISSUED", 409),
        late.barcode: ("STORAGE_EXPIRED", 409),
        elsewhere.barcode: ("NOT_FOUND", 404),
        "ii00000000000": ("NOT_FOUND", 404),
        busy.barcode: ("CONFLICT", 409),
    }
    for code, (error, status) in expected.items():
        response = scan(desk, session, code)
        assert (attr(response, "data-error-code"), response.status_code) == (error, status), code
        assert attr(response, "data-scan-outcome") == "error"
    assert session.lines.count() == 0
    assert str(other.opened_by) in scan(desk, session, busy.barcode).content.decode()


def test_refuse2_in_the_russian_layout_refuses_the_last_scanned_parcel(desk, counter) -> None:
    first, second = counter.stored(), counter.stored(cell="A-01-2")
    session = counter.session()
    scan(desk, session, first.barcode)
    scan(desk, session, second.barcode)

    typed = "#REFUSE2".translate(RUSSIAN_LAYOUT)
    assert typed == "№КУАГЫУ2"
    response = scan(desk, session, typed)

    assert attr(response, "data-kind") == "refused" and attr(response, "data-scan-outcome") == "warning"
    assert "Не понравился товар" in response.content.decode()
    assert second.posting_number in re.search(r'data-posting="([^"]*)"', response.content.decode()).group(1)
    lines = {line.shipment_id: line for line in session.lines.select_related("refusal_reason")}
    assert lines[second.pk].state == LineState.REFUSED
    assert lines[second.pk].refusal_reason.position == 2 or lines[second.pk].refusal_reason.title == (
        "Не понравился товар"
    )
    assert lines[first.pk].state == LineState.TAKEN


def test_refuse_with_nothing_scanned_or_beyond_the_list_is_a_clear_error(desk, counter) -> None:
    session = counter.session()
    nothing = scan(desk, session, "#REFUSE1")
    assert nothing.status_code == 422 and attr(nothing, "data-error-code") == "VALIDATION_FAILED"
    assert "Сначала отсканируйте отправление" in nothing.content.decode()

    scan(desk, session, counter.stored().barcode)
    beyond = scan(desk, session, "#REFUSE9")
    assert attr(beyond, "data-error-code") == "VALIDATION_FAILED"
    assert session.lines.get().state == LineState.TAKEN


def test_refusal_commands_parse_in_any_layout_and_case() -> None:
    assert command_parse("#REFUSE1").number == 1
    assert command_parse("№КУАГЫУ9").command is CounterCommand.REFUSE
    assert command_parse("№куагыу3").number == 3
    assert command_parse("#REFUSE0") is None
    assert command_parse("#REFUSE10") is None
    assert command_parse("№СФТСУД").command is CounterCommand.CANCEL


def test_line_refuse_last_changes_only_the_reason_of_an_already_refused_parcel(counter) -> None:
    session = counter.session()
    parcel = counter.stored()
    session_scan(actor=counter.operator, session=session, code=parcel.barcode)

    line_refuse_last(actor=counter.operator, session=session, number=1)
    again = line_refuse_last(actor=counter.operator, session=session, number=3)

    assert again.line.state == LineState.REFUSED
    assert session.lines.get().refusal_reason_id == again.reason.pk
    with pytest.raises(DomainError):
        line_refuse_last(actor=counter.operator, session=session, number=0)


# ---- finishing -----------------------------------------------------------------------------------------


def test_empty_enter_finishes_issuing_the_taken_and_refusing_the_refused(desk, counter) -> None:
    keep, refuse, left = counter.stored(), counter.stored(cell="A-01-2"), counter.stored(cell="B-01-1")
    session = counter.session()
    scan(desk, session, keep.barcode)
    scan(desk, session, refuse.barcode)
    scan(desk, session, "#REFUSE1")

    # What counter.js posts for Enter in the empty field.
    response = desk.post(f"/issue/{session.pk}/finish/", action(), headers=SCANNER)

    assert response.status_code == 200
    assert attr(response, "data-redirect") == f"/issue/{session.pk}/result/"
    statuses = dict(Shipment.objects.filter(pk__in=[keep.pk, refuse.pk, left.pk]).values_list("pk", "status"))
    assert statuses == {keep.pk: Status.ISSUED, refuse.pk: Status.REFUSED, left.pk: Status.STORED}
    assert Shipment.objects.get(pk=refuse.pk).cell.kind == CellKind.RETURN_ZONE

    result = desk.get(f"/issue/{session.pk}/result/").content.decode()
    for key, posting in (("issued", keep), ("refused", refuse), ("left", left)):
        section = re.search(rf'data-result-list="{key}">(.*?)</section>', result, re.S).group(1)
        assert re.findall(r'data-result-line="([^"]+)"', section) == [posting.posting_number]
    assert 'href="/issue/"' in result and "data-next-customer" in result
    # The session screen of a finished session leads to its result.
    assert desk.get(f"/issue/{session.pk}/")["Location"] == f"/issue/{session.pk}/result/"


def test_finish_command_barcode_and_empty_enter_without_javascript(desk, counter) -> None:
    session = counter.session()
    scan(desk, session, counter.stored().barcode)

    response = scan(desk, session, "№АШТШЫР")

    assert attr(response, "data-kind") == "finished"
    session.refresh_from_db()
    assert session.status == SessionStatus.FINISHED and session.issued_count == 1

    other = CustomerFactory()
    parcel = counter.stored(customer=other)
    second = session_open(
        actor=counter.operator, point=counter.point, customer=other, verification=Verification.QR
    )
    scan(desk, second, parcel.barcode)
    plain = desk.post(f"/issue/{second.pk}/scan/", {"code": "", "scan_id": str(uuid.uuid4())})
    assert plain.status_code == 302 and plain["Location"] == f"/issue/{second.pk}/result/"


def test_a_blocked_finish_lists_every_blocking_line_and_changes_nothing(desk, counter) -> None:
    needs_id = counter.stored(id_check_required=True)
    needs_pay = counter.stored(cell="A-01-2", amount_due_kop=150_050)
    session = counter.session()
    scan(desk, session, needs_id.barcode)
    page = scan(desk, session, needs_pay.barcode).content.decode()
    assert 'data-need="id"' in page and 'data-need="payment"' in page
    assert "1\xa0500,50\xa0₽" in page

    response = desk.post(f"/issue/{session.pk}/finish/", action(), headers=SCANNER)

    assert response.status_code == 409
    assert attr(response, "data-error-code") == "ID_CHECK_REQUIRED"
    blocking = dict(
        re.findall(r'data-blocking-line="([^"]+)" data-code="([^"]+)"', response.content.decode())
    )
    assert blocking == {
        needs_id.posting_number: "ID_CHECK_REQUIRED",
        needs_pay.posting_number: "PAYMENT_REQUIRED",
    }
    assert set(
        Shipment.objects.filter(pk__in=[needs_id.pk, needs_pay.pk]).values_list("status", flat=True)
    ) == {Status.STORED}

    lines = {line.shipment_id: line.pk for line in session.lines.all()}
    base = f"/issue/{session.pk}/lines"
    checked = desk.post(
        f"{base}/{lines[needs_id.pk]}/id-check/", {"document": "passport_rf", "last4": "1234", **action()}
    )
    assert checked.status_code == 302
    paid = desk.post(f"{base}/{lines[needs_pay.pk]}/payment/", {"method": "cash", "cash": "2000", **action()})
    assert paid.status_code == 302 and paid["Location"].endswith("?change=49950")
    done = desk.post(f"/issue/{session.pk}/finish/", action())
    assert done["Location"] == f"/issue/{session.pk}/result/"


def test_an_unverified_session_cannot_finish(desk, counter) -> None:
    session = counter.session(Verification.NONE)
    scan(desk, session, counter.stored().barcode)

    response = desk.post(f"/issue/{session.pk}/finish/", action(), headers=SCANNER)

    assert response.status_code == 409 and attr(response, "data-error-code") == "VERIFICATION_REQUIRED"


def test_a_parcel_expired_since_its_scan_fails_alone_on_the_result_page(desk, counter, clock) -> None:
    fine, late = counter.stored(), counter.stored(cell="A-01-2")
    session = counter.session()
    scan(desk, session, fine.barcode)
    scan(desk, session, late.barcode)
    Shipment.objects.filter(pk=late.pk).update(storage_deadline=clock.now())
    clock.advance(microseconds=1)

    desk.post(f"/issue/{session.pk}/finish/", action())

    result = desk.get(f"/issue/{session.pk}/result/").content.decode()
    failed = re.search(r'data-result-list="failed">(.*?)</section>', result, re.S).group(1)
    assert f'data-result-line="{late.posting_number}" data-code="STORAGE_EXPIRED"' in failed
    assert "Срок хранения отправления истёк" in failed


def test_line_actions_inspect_refuse_and_take_back(desk, counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    scan(desk, session, parcel.barcode)
    line = session.lines.get()
    base = f"/issue/{session.pk}/lines/{line.pk}"

    desk.post(f"{base}/inspect/", action())
    line.refresh_from_db()
    assert line.state == LineState.INSPECTING
    reason = desk.get(f"/issue/{session.pk}/").content.decode()
    reason_id = re.search(r'<option value="(\d+)">1\. ', reason).group(1)
    desk.post(f"{base}/refuse/", {"reason_id": reason_id, "note": "мал", **action()})
    line.refresh_from_db()
    assert line.state == LineState.REFUSED and line.refusal_note == "мал"
    desk.post(f"{base}/take/", action())
    line.refresh_from_db()
    assert line.state == LineState.TAKEN and line.refusal_reason is None


def test_cancel_by_command_closes_the_session_with_nothing_changed(desk, counter) -> None:
    parcel = counter.stored()
    session = counter.session()
    scan(desk, session, parcel.barcode)

    response = scan(desk, session, "#CANCEL")

    assert attr(response, "data-redirect") == "/issue/"
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert Shipment.objects.get(pk=parcel.pk).status == Status.STORED
    assert f'data-open-session="{session.pk}"' not in desk.get("/issue/").content.decode()


# ---- permissions and the command sheet ----------------------------------------------------------------


def test_another_points_session_is_404(sign_in, counter) -> None:
    session = counter.session()
    elsewhere = PickupPointFactory()
    client = sign_in(operator_at(elsewhere), elsewhere)

    assert client.get(f"/issue/{session.pk}/").status_code == 404
    assert scan(client, session, "#FINISH").status_code == 404
    assert client.post(f"/issue/{session.pk}/finish/", action()).status_code == 404


def test_a_role_without_operate_is_403_and_anonymous_goes_to_login(client, sign_in, counter) -> None:
    session = counter.session()
    assert client.get("/issue/")["Location"].startswith("/login/")

    support = sign_in(operator_at(counter.point, Role.SUPPORT), counter.point)
    assert support.get("/issue/").status_code == 403
    assert support.get(f"/issue/{session.pk}/").status_code == 403
    assert scan(support, session, "#FINISH").status_code == 403
    assert support.get("/issue/commands/").status_code == 403


def test_the_command_sheet_has_barcodes_of_finish_cancel_and_each_default_reason(desk) -> None:
    html = desk.get("/issue/commands/").content.decode()

    codes = re.findall(r'data-command="([^"]+)"', html)
    assert codes == ["#FINISH", "#CANCEL", "#REFUSE1", "#REFUSE2", "#REFUSE3", "#REFUSE4", "#REFUSE5"]
    assert html.count("<svg") == 7
    assert "Отказ: Не подошёл размер" in html
    assert "@media print" not in html  # the print rules live in counter.css


def test_the_issue_section_opens_the_start_page(desk) -> None:
    html = desk.get("/").content.decode()
    assert 'href="/issue/"' in html
