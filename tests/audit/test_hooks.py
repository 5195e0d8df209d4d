"""Each audited action writes exactly one record with actor, IP, user agent and point."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client, RequestFactory

from pvz.accounts.models import Membership, SmsMessage
from pvz.accounts.roles import Role
from pvz.accounts.services import membership_grant, membership_revoke
from pvz.audit.chain import audit_chain_verify
from pvz.audit.context import AuditContext, use_audit_context
from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from pvz.counter.models import Verification
from pvz.counter.services import session_open
from pvz.counter.verification import session_sms_code_send
from pvz.network.models import PickupPoint
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import (
    CellFactory,
    CustomerFactory,
    PickupPointFactory,
    ShipmentFactory,
    UserFactory,
    operator_at,
)

pytestmark = pytest.mark.django_db

PHONE = "+79990000042"
AGENT = "Mozilla/5.0 (PVZ counter)"
OUTBOX = "pvz.accounts.sms.OutboxSmsGateway"


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> None:
    settings.PVZ_SMS_BACKEND = OUTBOX


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR="198.51.100.23")


@pytest.fixture
def point() -> PickupPoint:
    return PickupPointFactory()


def _only(action: str) -> AuditRecord:
    records = list(AuditRecord.objects.filter(action=action))
    assert len(records) == 1, [r.action for r in AuditRecord.objects.all()]
    return records[0]


def _request_code(browser: Client, capture) -> str:
    with capture(execute=True):
        assert browser.post("/login/", {"phone": PHONE}).status_code == 302
    return re.search(r"\b(\d{6})\b", SmsMessage.objects.get(phone=PHONE).text).group(1)  # type: ignore[union-attr]


def test_code_sent_login_and_logout_are_recorded_with_ip_and_user_agent(
    browser: Client, clock: FrozenClock, django_capture_on_commit_callbacks, point: PickupPoint
) -> None:
    user = operator_at(point)
    user.phone = PHONE
    user.save()
    code = _request_code(browser, django_capture_on_commit_callbacks)
    sent = _only("auth.code_sent")
    assert (sent.actor_id, sent.actor_phone, sent.ip, sent.user_agent, sent.point_id) == (
        user.pk,
        PHONE,
        "198.51.100.23",
        AGENT,
        None,
    )
    assert sent.details == {"purpose": "login"}
    assert code not in str(sent.details)

    assert browser.post("/login/code/", {"code": code}).status_code == 302
    login = _only("auth.login")
    assert (login.actor_id, login.actor_phone, login.ip, login.user_agent, login.at) == (
        user.pk,
        PHONE,
        "198.51.100.23",
        AGENT,
        clock.now(),
    )
    assert (login.object_type, login.object_id) == ("user", str(user.pk))

    session = browser.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()
    assert browser.post("/logout/").status_code == 302
    logout = _only("auth.logout")
    assert (logout.actor_id, logout.ip, logout.user_agent, logout.point_id) == (
        user.pk,
        "198.51.100.23",
        AGENT,
        point.pk,
    )
    assert AuditRecord.objects.count() == 3
    assert audit_chain_verify().count == 3


def test_a_wrong_code_is_one_failed_login_naming_the_phone_not_the_code(
    browser: Client, clock: FrozenClock, django_capture_on_commit_callbacks
) -> None:
    UserFactory(phone=PHONE)
    code = _request_code(browser, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert browser.post("/login/code/", {"code": wrong}).status_code == 200

    failed = _only("auth.login_failed")
    assert (failed.actor_id, failed.actor_phone, failed.ip, failed.user_agent, failed.point_id) == (
        None,
        PHONE,
        "198.51.100.23",
        AGENT,
        None,
    )
    assert failed.details == {"error": "CODE_INVALID"}
    assert not AuditRecord.objects.filter(action="auth.login").exists()


def test_a_failed_admin_password_login_is_recorded_once(browser: Client) -> None:
    from django.contrib.auth import authenticate

    assert authenticate(username="+79990000001", password="nope") is None

    failed = _only("auth.login_failed")
    assert (failed.actor_phone, failed.details) == ("+79990000001", {})


def test_web_permission_denial_is_recorded_with_the_point(browser: Client, point: PickupPoint) -> None:
    manager = operator_at(point, Role.MANAGER)
    browser.force_login(manager, backend="pvz.accounts.backends.PhoneCodeBackend")
    session = browser.session
    session[POINT_SESSION_KEY] = point.pk
    session.save()
    AuditRecord.objects.all()._raw_delete(AuditRecord.objects.db)  # type: ignore[attr-defined]

    assert browser.get("/audit/").status_code == 403

    denied = _only("access.denied")
    assert (denied.actor_id, denied.ip, denied.user_agent, denied.point_id) == (
        manager.pk,
        "198.51.100.23",
        AGENT,
        point.pk,
    )
    assert denied.details == {"permission": "view_audit", "path": "/audit/"}


def test_api_denials_are_recorded_for_plain_and_idempotent_endpoints(
    browser: Client, clock: FrozenClock, point: PickupPoint
) -> None:
    operator = operator_at(point)
    browser.force_login(operator, backend="pvz.accounts.backends.PhoneCodeBackend")
    AuditRecord.objects.all()._raw_delete(AuditRecord.objects.db)  # type: ignore[attr-defined]

    assert browser.get(f"/api/v1/audit?point={point.pk}").status_code == 403
    denied = _only("access.denied")
    assert (denied.actor_id, denied.ip, denied.user_agent, denied.point_id, denied.details) == (
        operator.pk,
        "198.51.100.23",
        AGENT,
        point.pk,
        {"permission": "view_audit", "path": "/api/v1/audit"},
    )

    support = UserFactory()
    Membership.objects.create(user=support, point=None, role=Role.SUPPORT)
    browser.force_login(support, backend="pvz.accounts.backends.PhoneCodeBackend")
    shipment = ShipmentFactory(point=point, status=Status.STORED, cell=CellFactory(point=point))
    url = f"/api/v1/shipments/{shipment.pk}/extend-storage"
    response = browser.post(
        url, {"days": 1}, content_type="application/json", headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 403, response.content
    second = AuditRecord.objects.filter(action="access.denied").order_by("-seq").first()
    assert second is not None and second.pk != denied.pk
    assert (second.actor_id, second.point_id, second.details["permission"]) == (
        support.pk,
        point.pk,
        "operate",
    )
    assert AuditRecord.objects.filter(action="access.denied").count() == 2


def test_shipment_changes_are_not_chained_in_the_audit_log(clock: FrozenClock, point: PickupPoint) -> None:
    # Each is already an immutable ShipmentEvent; chaining them would serialise every scan on the head row.
    operator = operator_at(point)
    shipment = ShipmentFactory(point=point, status=Status.ACCEPTED)
    shipment_transition(
        actor=operator, shipment_id=shipment.pk, to_status=Status.STORED, cell=CellFactory(point=point)
    )

    assert not AuditRecord.objects.exists()


def test_membership_grant_and_revoke_are_recorded_but_a_repeated_grant_is_not(point: PickupPoint) -> None:
    owner = operator_at(point, Role.OWNER)
    staff = UserFactory()

    membership = membership_grant(actor=owner, user=staff, role=Role.OPERATOR, point=point)
    membership_grant(actor=owner, user=staff, role=Role.OPERATOR, point=point)
    membership_revoke(actor=owner, membership=membership)

    grant, revoke = _only("membership.grant"), _only("membership.revoke")
    for record in (grant, revoke):
        assert (record.actor_id, record.point_id, record.object_type, record.object_id) == (
            owner.pk,
            point.pk,
            "membership",
            str(membership.pk),
        )
        assert record.details == {"user": staff.pk, "role": "operator"}


def test_a_customer_code_sent_is_recorded_without_the_code(
    clock: FrozenClock, point: PickupPoint, django_capture_on_commit_callbacks
) -> None:
    operator = operator_at(point)
    customer = CustomerFactory()
    session = session_open(actor=operator, point=point, customer=customer, verification=Verification.NONE)
    request = RequestFactory().post("/issue/", HTTP_USER_AGENT=AGENT, REMOTE_ADDR="192.0.2.5")
    request.user = operator
    context = AuditContext(ip="192.0.2.5", user_agent=AGENT, request=request)
    with use_audit_context(context), django_capture_on_commit_callbacks(execute=True):
        session_sms_code_send(actor=operator, session=session)

    record = _only("customer.code_sent")
    assert (record.actor_id, record.ip, record.user_agent, record.point_id) == (
        operator.pk,
        "192.0.2.5",
        AGENT,
        point.pk,
    )
    assert (record.object_type, record.object_id, record.details) == (
        "issuesession",
        str(session.pk),
        {"customer": customer.pk},
    )
    code = re.search(r"\b(\d{6})\b", SmsMessage.objects.get().text).group(1)  # type: ignore[union-attr]
    assert code not in str(record.details)
