"""Counter API: scoped to the caller's points, *operate* everywhere, Idempotency-Key on every write."""

from __future__ import annotations

import uuid

import pytest

from pvz.accounts.roles import Role
from pvz.counter.models import CustomerCode, IssueSession, Verification
from pvz.counter.tokens import qr_token_mint
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.statuses import Status
from tests.counter.conftest import last_sms_code, wrong
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


def post(client, url, body=None, key=None):
    return client.post(
        url,
        body or {},
        content_type="application/json",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_anonymous_caller_gets_401(client, counter) -> None:
    session = counter.session()

    assert client.get(f"/api/v1/counter/points/{counter.point.pk}/sessions").status_code == 401
    assert client.get(f"/api/v1/counter/sessions/{session.pk}").status_code == 401
    assert post(client, f"/api/v1/counter/sessions/{session.pk}/finish").status_code == 401


def test_another_points_operator_gets_404(signed_in, counter) -> None:
    session = counter.session()
    stranger = signed_in(operator_at(PickupPointFactory()))

    assert stranger.get(f"/api/v1/counter/points/{counter.point.pk}/sessions").status_code == 404
    assert stranger.get(f"/api/v1/counter/sessions/{session.pk}").status_code == 404
    response = post(stranger, f"/api/v1/counter/sessions/{session.pk}/scans", {"code": "x"})
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")


def test_user_without_any_membership_finds_nothing(signed_in, counter) -> None:
    nobody = signed_in(UserFactory())

    response = post(nobody, f"/api/v1/counter/points/{counter.point.pk}/sessions", {"customer_id": 1})
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")


def test_membership_without_operate_gets_403(signed_in, counter) -> None:
    session = counter.session()
    support = signed_in(operator_at(counter.point, role=Role.SUPPORT))

    for response in (
        support.get(f"/api/v1/counter/points/{counter.point.pk}/sessions"),
        support.get(f"/api/v1/counter/points/{counter.point.pk}/customers/search?q=123"),
        support.get(f"/api/v1/counter/sessions/{session.pk}"),
        post(support, f"/api/v1/counter/sessions/{session.pk}/finish"),
    ):
        assert (response.status_code, error_code(response)) == (403, "PERMISSION_DENIED")


def test_writes_need_an_idempotency_key(signed_in, counter) -> None:
    client = signed_in(counter.operator)
    session = counter.session()

    response = client.post(
        f"/api/v1/counter/sessions/{session.pk}/cancel", {}, content_type="application/json"
    )

    assert response.status_code == 400
    assert IssueSession.objects.get(pk=session.pk).status == "open"


def test_happy_path_by_qr_scan_check_pay_refuse_finish(signed_in, counter, clock) -> None:
    client = signed_in(counter.operator)
    taken = counter.stored(id_check_required=True, amount_due_kop=990_00, cell="B-01-1")
    refused = counter.stored(cell="A-01-2")
    left = counter.stored(cell="A-01-1")
    token = qr_token_mint(customer=counter.customer, now=clock.now())

    identified = post(client, f"/api/v1/counter/points/{counter.point.pk}/identify", {"code": token}).json()
    assert identified["verification"] == "qr"
    assert [p["cell"] for p in identified["card"]["ready"]] == ["A-01-1", "A-01-2", "B-01-1"]

    opened = post(client, f"/api/v1/counter/points/{counter.point.pk}/sessions", {"code": token})
    assert opened.status_code == 200, opened.json()
    session = opened.json()
    assert (session["verification"], session["status"]) == ("qr", "open")
    base = f"/api/v1/counter/sessions/{session['id']}"

    scanned = [post(client, f"{base}/scans", {"code": p.barcode}).json() for p in (taken, refused)]
    assert [s["created"] for s in scanned] == [True, True]
    line_taken, line_refused = (s["line"]["id"] for s in scanned)
    assert scanned[0]["line"]["id_check_needed"] and scanned[0]["line"]["payment_needed"]

    blocked = post(client, f"{base}/finish")
    assert (blocked.status_code, error_code(blocked)) == (409, "ID_CHECK_REQUIRED")

    reasons = client.get(f"/api/v1/counter/points/{counter.point.pk}/refusal-reasons").json()
    assert post(client, f"{base}/lines/{line_taken}/inspect").json()["state"] == "inspecting"
    assert (
        post(client, f"{base}/lines/{line_refused}/refuse", {"reason_id": reasons[1]["id"]}).status_code
        == 200
    )
    checked = post(
        client, f"{base}/lines/{line_taken}/id-check", {"document": "passport_rf", "last4": "4321"}
    )
    assert checked.json()["id_last4"] == "4321"
    paid = post(client, f"{base}/lines/{line_taken}/payment", {"method": "card", "reference": "RRN 000123"})
    assert (paid.json()["change_kop"], paid.json()["line"]["payment_needed"]) == (0, False)
    assert (
        client.put(
            f"{base}/bags",
            {"count": 2},
            content_type="application/json",
            headers={"Idempotency-Key": "bags-1"},
        ).json()["bags"]
        == 2
    )

    state = client.get(base).json()
    assert [c["cell"] for c in state["fetch"]] == ["A-01-1"]

    finished = post(client, f"{base}/finish")
    assert finished.status_code == 200, finished.json()
    body = finished.json()
    assert {r["posting_number"]: r["result"] for r in body["results"]} == {
        taken.posting_number: "issued",
        refused.posting_number: "refused",
    }
    assert (body["session"]["issued_count"], body["session"]["refused_count"]) == (1, 1)
    # The answer is built from what the finish wrote, not read again: it must say what a read says.
    assert body["session"] == client.get(base).json()
    statuses = dict(
        Shipment.objects.filter(pk__in=[taken.pk, refused.pk, left.pk]).values_list("pk", "status")
    )
    assert statuses == {taken.pk: Status.ISSUED, refused.pk: Status.REFUSED, left.pk: Status.STORED}


def test_replayed_finish_returns_the_first_answer_and_issues_once(signed_in, counter) -> None:
    client = signed_in(counter.operator)
    parcel = counter.stored()
    session = counter.session()
    base = f"/api/v1/counter/sessions/{session.pk}"
    post(client, f"{base}/scans", {"code": parcel.barcode})

    first = post(client, f"{base}/finish", key="finish-1")
    replay = post(client, f"{base}/finish", key="finish-1")
    again = post(client, f"{base}/finish", key="finish-2")

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert (again.status_code, error_code(again)) == (409, "SESSION_CLOSED")
    assert ShipmentEvent.objects.filter(shipment=parcel, to_status=Status.ISSUED).count() == 1


def test_same_key_for_another_request_is_idempotency_mismatch(signed_in, counter) -> None:
    client = signed_in(counter.operator)
    first, second = counter.stored(), counter.stored()
    session = counter.session()
    url = f"/api/v1/counter/sessions/{session.pk}/scans"

    assert post(client, url, {"code": first.barcode}, key="scan-1").status_code == 200
    response = post(client, url, {"code": second.barcode}, key="scan-1")

    assert (response.status_code, error_code(response)) == (422, "IDEMPOTENCY_MISMATCH")
    assert session.lines.count() == 1


def test_scan_refusals_carry_their_codes(signed_in, counter) -> None:
    from tests.factories import CustomerFactory

    client = signed_in(counter.operator)
    theirs = counter.stored(customer=CustomerFactory())
    session = counter.session()

    response = post(client, f"/api/v1/counter/sessions/{session.pk}/scans", {"code": theirs.barcode})

    assert (response.status_code, error_code(response)) == (409, "WRONG_CUSTOMER")
    assert response.json()["error"]["details"]["posting_number"] == theirs.posting_number


def test_search_then_sms_code_verifies_and_wrong_tries_are_counted(
    signed_in, counter, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(counter.operator)
    parcel = counter.stored()

    hits = client.get(
        f"/api/v1/counter/points/{counter.point.pk}/customers/search", {"q": parcel.order.number}
    ).json()
    assert [h["customer"]["id"] for h in hits] == [counter.customer.pk]
    opened = post(
        client, f"/api/v1/counter/points/{counter.point.pk}/sessions", {"customer_id": counter.customer.pk}
    )
    session = opened.json()
    assert session["verification"] == "none"
    base = f"/api/v1/counter/sessions/{session['id']}"
    post(client, f"{base}/scans", {"code": parcel.barcode})
    blocked = post(client, f"{base}/finish")
    assert (blocked.status_code, error_code(blocked)) == (409, "VERIFICATION_REQUIRED")

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, f"{base}/sms-code").status_code == 200
    limited = post(client, f"{base}/sms-code")
    assert (limited.status_code, limited.json()["error"]["details"]) == (429, {"retry_after": 60})
    code = last_sms_code(counter.customer.phone)

    bad = post(client, f"{base}/sms-code/verify", {"code": wrong(code)})
    assert (bad.status_code, error_code(bad)) == (400, "CODE_INVALID")
    assert CustomerCode.objects.get().attempts == 1  # kept although the request answered with an error
    good = post(client, f"{base}/sms-code/verify", {"code": code})
    assert good.json()["verification"] == "sms"
    assert post(client, f"{base}/finish").status_code == 200
    assert Shipment.objects.get(pk=parcel.pk).status == Status.ISSUED


def test_opening_by_pickup_code_and_by_unknown_customer(signed_in, counter) -> None:
    client = signed_in(counter.operator)
    counter.stored()
    url = f"/api/v1/counter/points/{counter.point.pk}/sessions"

    by_code = post(client, url, {"code": pickup_code_for(counter.customer)}).json()
    stranger = post(client, url, {"customer_id": 999_999})

    assert by_code["verification"] == Verification.PICKUP_CODE
    assert (stranger.status_code, error_code(stranger)) == (404, "NOT_FOUND")
    assert [s["id"] for s in client.get(f"/api/v1/counter/points/{counter.point.pk}/sessions").json()] == [
        by_code["id"]
    ]
