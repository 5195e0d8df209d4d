"""«Партнёры»: the platform admins' partner settings (periods, ID-check threshold, barcode patterns),
the partner's refusal and return reasons, webhook endpoints, the delivery log, the dead-letter list and
manual replay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError
from pvz.counter.models import RefusalReason
from pvz.network.barcodes import barcode_matches, barcode_patterns_clean
from pvz.network.models import Partner, PickupPoint
from pvz.returns.models import ReturnReason
from pvz.webhooks.models import (
    DeliveryAttempt,
    DeliveryStatus,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from pvz.webhooks.services import webhook_endpoint_create, webhooks_fan_out
from pvz.webhooks.urlguard import webhook_url_check
from tests.factories import PartnerFactory, operator_at
from tests.web.conftest import SignIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(point: PickupPoint) -> User:
    return operator_at(point, Role.PLATFORM_ADMIN)


@pytest.fixture
def partner(db: None) -> Partner:
    return PartnerFactory(code="ozon", name="Озон", storage_days=7, return_window_days=7)


@pytest.fixture
def signed(sign_in: SignIn, admin: User) -> Client:
    return sign_in(admin)


def _settings(**changes: object) -> dict[str, object]:
    return {
        "storage_days": 10,
        "return_window_days": 14,
        "id_check_threshold_rub": "15000.50",
        "barcode_patterns": "OZN-[0-9]{8}\n\n^WB[0-9]{10}$",
        **changes,
    }


def _deliveries(partner: Partner, count: int, *, status: str = DeliveryStatus.DEAD) -> list[WebhookDelivery]:
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")
    at = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    for n in range(count):
        OutboxEvent.objects.create(
            event_id=f"evt_{partner.code}_{n}",
            partner=partner,
            type=EventType.SHIPMENT_STATUS_CHANGED if n % 2 == 0 else EventType.CARRIAGE_UPDATED,
            ordering_key=f"shipment:{n}",
            payload={"n": n},
            created_at=at,
        )
    webhooks_fan_out()
    rows = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))
    WebhookDelivery.objects.filter(endpoint=endpoint).update(status=status, attempts=3)
    return rows


# ---- access ---------------------------------------------------------------------------------------------


def test_an_owner_is_refused_the_partner_list(sign_in: SignIn, point: PickupPoint, partner: Partner) -> None:
    client = sign_in(operator_at(point, Role.OWNER), point)

    assert client.get("/partners/").status_code == 403
    assert client.get(f"/partners/{partner.pk}/").status_code == 403


def test_anonymous_is_sent_to_log_in(client: Client, partner: Partner) -> None:
    response = client.get(f"/partners/{partner.pk}/deliveries/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_platform_admin_sees_every_partner_without_a_point(signed: Client, partner: Partner) -> None:
    PartnerFactory(code="wb", name="Вайлдберриз")

    response = signed.get("/partners/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-partner=") == 2
    assert f'href="/partners/{partner.pk}/"' in html


def test_an_unknown_partner_is_404(signed: Client) -> None:
    assert signed.get("/partners/999999/").status_code == 404


# ---- settings ---------------------------------------------------------------------------------------------


def test_saving_settings_stores_kopecks_and_patterns_and_audits(
    signed: Client, admin: User, partner: Partner, clock
) -> None:
    response = signed.post(f"/partners/{partner.pk}/", _settings())

    assert (response.status_code, response["Location"]) == (302, f"/partners/{partner.pk}/")
    partner.refresh_from_db()
    assert (partner.storage_days, partner.return_window_days, partner.id_check_threshold_kop) == (
        10,
        14,
        1_500_050,
    )
    assert partner.barcode_patterns == ["OZN-[0-9]{8}", "WB[0-9]{10}"]
    record = AuditRecord.objects.get(action="partner.settings_changed")
    assert record.actor_id == admin.pk
    assert record.details["changes"]["storage_days"] == [7, 10]
    page = signed.get(f"/partners/{partner.pk}/").content.decode()
    assert 'name="id_check_threshold_rub" value="15000.50"' in page
    assert "Настройки сохранены." in page


def test_an_empty_threshold_means_no_id_check(signed: Client, partner: Partner) -> None:
    partner.id_check_threshold_kop = 100_00
    partner.save()

    signed.post(f"/partners/{partner.pk}/", _settings(id_check_threshold_rub=""))

    partner.refresh_from_db()
    assert partner.id_check_threshold_kop is None


def test_saving_unchanged_settings_writes_no_audit_record(signed: Client, partner: Partner) -> None:
    signed.post(f"/partners/{partner.pk}/", _settings())
    signed.post(f"/partners/{partner.pk}/", _settings())

    assert AuditRecord.objects.filter(action="partner.settings_changed").count() == 1


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ("OZN-[0-9", "не разбирается"),
        ("[0-9]*", "подходит к пустому коду"),
        ("A" * 101, "длиннее 100 символов"),
        ("AB\nAB", "указан дважды"),
        ("^$", "Пустой шаблон"),
    ],
)
def test_a_bad_barcode_pattern_is_refused_next_to_the_field(
    signed: Client, partner: Partner, patterns: str, message: str
) -> None:
    response = signed.post(f"/partners/{partner.pk}/", _settings(barcode_patterns=patterns))

    assert response.status_code == 422
    assert message in response.content.decode()
    partner.refresh_from_db()
    assert (partner.storage_days, partner.barcode_patterns) == (7, [])


def test_a_storage_period_of_zero_days_is_refused(signed: Client, partner: Partner) -> None:
    response = signed.post(f"/partners/{partner.pk}/", _settings(storage_days=0))

    assert response.status_code == 422
    partner.refresh_from_db()
    assert partner.storage_days == 7


def test_more_than_twenty_patterns_are_refused() -> None:
    with pytest.raises(DomainError) as caught:
        barcode_patterns_clean([f"P{n}" for n in range(21)])

    assert caught.value.details == {"field": "barcode_patterns"}


def test_a_pattern_must_match_the_whole_barcode() -> None:
    patterns = barcode_patterns_clean(["OZN-[0-9]{3}"])

    assert barcode_matches(patterns, "OZN-123")
    assert not barcode_matches(patterns, "XOZN-123")
    assert not barcode_matches(patterns, "OZN-1234")
    assert not barcode_matches(patterns, "OZN-" + "1" * 100)


# ---- reasons ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "model"), [("refusal", RefusalReason), ("return", ReturnReason)])
def test_adding_a_partner_reason(signed: Client, partner: Partner, kind: str, model: type) -> None:
    response = signed.post(
        f"/partners/{partner.pk}/{kind}-reasons/",
        {f"{kind}-new-code": "too-late", f"{kind}-new-title": "Опоздал", f"{kind}-new-position": "3"},
    )

    assert response.status_code == 302
    reason = model.objects.get(partner=partner)
    assert (reason.code, reason.title, reason.position, reason.is_active) == ("too-late", "Опоздал", 3, True)
    assert AuditRecord.objects.filter(action=f"partner.{kind}_reason_created").count() == 1
    page = signed.get(f"/partners/{partner.pk}/").content.decode()
    assert 'data-reason="too-late" data-active="1"' in page


def test_a_duplicate_reason_code_is_refused(signed: Client, partner: Partner) -> None:
    RefusalReason.objects.create(partner=partner, code="late", title="Поздно")

    response = signed.post(
        f"/partners/{partner.pk}/refusal-reasons/",
        {"refusal-new-code": "late", "refusal-new-title": "Ещё", "refusal-new-position": "0"},
    )

    assert response.status_code == 422
    assert "Причина с кодом late уже есть." in response.content.decode()
    assert RefusalReason.objects.filter(partner=partner).count() == 1


def test_deactivating_and_renaming_a_reason(signed: Client, partner: Partner) -> None:
    reason = ReturnReason.objects.create(partner=partner, code="size", title="Размер")

    response = signed.post(
        f"/partners/{partner.pk}/return-reasons/{reason.pk}/",
        {f"return-{reason.pk}-title": "Не подошёл размер", f"return-{reason.pk}-position": "2"},
    )

    assert response.status_code == 302
    reason.refresh_from_db()
    assert (reason.title, reason.position, reason.is_active) == ("Не подошёл размер", 2, False)
    record = AuditRecord.objects.get(action="partner.return_reason_changed")
    assert record.details["changes"]["is_active"] == [True, False]


def test_another_partners_reason_is_404(signed: Client, partner: Partner) -> None:
    reason = RefusalReason.objects.create(partner=PartnerFactory(), code="x", title="X")

    response = signed.post(
        f"/partners/{partner.pk}/refusal-reasons/{reason.pk}/",
        {f"refusal-{reason.pk}-title": "Y", f"refusal-{reason.pk}-position": "0"},
    )

    assert response.status_code == 404


# ---- webhook endpoints ---------------------------------------------------------------------------------


def test_adding_an_endpoint_shows_its_secret_once(signed: Client, partner: Partner) -> None:
    response = signed.post(
        f"/partners/{partner.pk}/webhooks/",
        {"url": "https://hooks.ozon.example/pvz", "description": "прод", "event_types": ["carriage.updated"]},
    )

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get(partner=partner)
    assert (endpoint.url, endpoint.event_types, endpoint.is_active) == (
        "https://hooks.ozon.example/pvz",
        ["carriage.updated"],
        True,
    )
    first = signed.get(f"/partners/{partner.pk}/").content.decode()
    assert endpoint.secret in first
    second = signed.get(f"/partners/{partner.pk}/").content.decode()
    assert endpoint.secret not in second
    assert AuditRecord.objects.filter(action="webhook.endpoint_created").count() == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example/a", "Только https"),
        ("https://127.0.0.1/a", "Внутренние и локальные адреса запрещены."),
        ("https://10.1.2.3/a", "Внутренние и локальные адреса запрещены."),
        ("https://169.254.169.254/latest", "Внутренние и локальные адреса запрещены."),
        ("https://[::1]/a", "Внутренние и локальные адреса запрещены."),
        ("https://[::ffff:192.168.0.1]/a", "Внутренние и локальные адреса запрещены."),
        ("https://localhost/a", "Внутренние и локальные адреса запрещены."),
        ("https://db.internal/a", "Внутренние и локальные адреса запрещены."),
        ("https://intranet/a", "Внутренние и локальные адреса запрещены."),
        ("ftp://hooks.example/a", "Нужен адрес вида https://…"),
        ("https://user:pw@hooks.example/a", "логин и пароль"),
    ],
)
def test_an_unsafe_endpoint_url_is_refused(signed: Client, partner: Partner, url: str, message: str) -> None:
    response = signed.post(f"/partners/{partner.pk}/webhooks/", {"url": url})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@override_settings(DEBUG=True)
def test_http_to_localhost_is_allowed_in_debug() -> None:
    assert webhook_url_check("http://127.0.0.1:8001/hooks") == "http://127.0.0.1:8001/hooks"
    with pytest.raises(DomainError):
        webhook_url_check("http://10.0.0.1/hooks")


@override_settings(PVZ_WEBHOOK_ALLOW_PRIVATE_URLS=True)
def test_the_setting_allows_private_https_addresses() -> None:
    assert webhook_url_check("https://10.0.0.5/hooks") == "https://10.0.0.5/hooks"
    with pytest.raises(DomainError):
        webhook_url_check("http://10.0.0.5/hooks")


def test_rotating_the_secret_shows_the_new_one(signed: Client, partner: Partner) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")
    old = endpoint.secret

    response = signed.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/rotate/")

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in signed.get(f"/partners/{partner.pk}/").content.decode()
    record = AuditRecord.objects.get(action="webhook.endpoint_secret_rotated")
    assert endpoint.secret not in str(record.details)


def test_deactivating_and_reactivating_an_endpoint(signed: Client, partner: Partner) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=partner, url="https://hooks.example/a")

    signed.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/active/")
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    signed.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/active/", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active is True
    assert AuditRecord.objects.filter(action="webhook.endpoint_changed").count() == 2


def test_another_partners_endpoint_is_404(signed: Client, partner: Partner) -> None:
    endpoint = webhook_endpoint_create(actor=None, partner=PartnerFactory(), url="https://hooks.example/a")

    response = signed.post(f"/partners/{partner.pk}/webhooks/{endpoint.pk}/rotate/")

    assert response.status_code == 404


# ---- delivery log, dead letters, replay -------------------------------------------------------------


def test_the_log_is_newest_first_and_filters_by_status_and_type(
    signed: Client, partner: Partner, clock
) -> None:
    rows = _deliveries(partner, 4)
    WebhookDelivery.objects.filter(pk=rows[0].pk).update(status=DeliveryStatus.DELIVERED)
    _deliveries(PartnerFactory(), 1)

    everything = signed.get(f"/partners/{partner.pk}/deliveries/").content.decode()
    dead = signed.get(f"/partners/{partner.pk}/deliveries/?status=dead").content.decode()
    carriages = signed.get(f"/partners/{partner.pk}/deliveries/?type=carriage.updated").content.decode()

    ids = [row.pk for row in reversed(rows)]
    positions = [everything.index(f'data-delivery="{pk}"') for pk in ids]
    assert positions == sorted(positions)
    assert everything.count("data-delivery=") == 4
    assert dead.count("data-delivery=") == 3
    assert carriages.count("data-delivery=") == 2


def test_the_log_is_paginated_by_fifty(signed: Client, partner: Partner, clock) -> None:
    _deliveries(partner, 51)

    first = signed.get(f"/partners/{partner.pk}/deliveries/?status=dead").content.decode()
    second = signed.get(f"/partners/{partner.pk}/deliveries/?status=dead&page=2").content.decode()

    assert (first.count("data-delivery="), second.count("data-delivery=")) == (50, 1)
    assert "status=dead&amp;page=2" in first


def test_a_delivery_shows_its_attempts(signed: Client, partner: Partner, clock) -> None:
    (delivery,) = _deliveries(partner, 1)
    DeliveryAttempt.objects.create(
        delivery=delivery, at=clock.now(), status_code=500, error="", duration_ms=12
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, at=clock.now(), status_code=None, error="timeout", duration_ms=5000
    )

    response = signed.get(f"/partners/{partner.pk}/deliveries/{delivery.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-attempt=") == 2
    assert "timeout" in html
    assert signed.get(f"/partners/{PartnerFactory().pk}/deliveries/{delivery.pk}/").status_code == 404


def test_replaying_selected_dead_letters(signed: Client, admin: User, partner: Partner, clock) -> None:
    rows = _deliveries(partner, 3)
    (foreign,) = _deliveries(PartnerFactory(), 1)

    response = signed.post(
        f"/partners/{partner.pk}/deliveries/replay/",
        {"delivery": [str(rows[0].pk), str(rows[2].pk), str(foreign.pk)], "status": "dead"},
    )

    assert (response.status_code, response["Location"]) == (
        302,
        f"/partners/{partner.pk}/deliveries/?status=dead",
    )
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert [statuses[row.pk] for row in rows] == ["pending", "dead", "pending"]
    assert statuses[foreign.pk] == "dead"
    replayed = AuditRecord.objects.filter(action="webhook.delivery_replayed")
    assert (replayed.count(), {r.actor_id for r in replayed}) == (2, {admin.pk})
    page = signed.get(response["Location"]).content.decode()
    assert "Поставлено на повторную отправку: 2" in page


def test_replaying_a_pending_delivery_warns_and_changes_nothing(
    signed: Client, partner: Partner, clock
) -> None:
    (delivery,) = _deliveries(partner, 1, status=DeliveryStatus.PENDING)

    response = signed.post(f"/partners/{partner.pk}/deliveries/replay/", {"delivery": str(delivery.pk)})

    page = signed.get(response["Location"]).content.decode()
    assert "ещё ожидает отправки" in page
    assert "Поставлено на повторную отправку: 0" in page
