"""Partner API keys in the Django admin: the plaintext once on creation; revoke and rotate actions."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from pvz.accounts.models import User
from pvz.accounts.roles import Role
from pvz.core.clock import FrozenClock
from pvz.partners.models import PartnerApiKey
from pvz.partners.services import key_authenticate, key_create
from tests.factories import PartnerFactory, PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db

PLAINTEXT = re.compile(r"pvzk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def admin_user(clock: FrozenClock) -> User:
    user = UserFactory(phone="+79161234567")
    user.memberships.create(role=Role.PLATFORM_ADMIN, point=None)
    return user


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_creating_a_key_shows_its_plaintext_once(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    partner = PartnerFactory()

    response = client.post(
        reverse("admin:partners_partnerapikey_add"),
        {"partner": partner.pk, "name": "Склад", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )

    assert response.status_code == 200
    shown = [PLAINTEXT.search(text) for text in _messages(response)]
    plaintexts = [match.group(0) for match in shown if match]
    assert len(plaintexts) == 1
    key = PartnerApiKey.objects.get()
    assert (key.partner, key.name, key.created_by) == (partner, "Склад", admin_user)
    assert key_authenticate(plaintexts[0]) == key
    page = client.get(reverse("admin:partners_partnerapikey_change", args=[key.pk]))
    assert page.status_code == 200
    assert plaintexts[0] not in page.content.decode()


def test_the_revoke_action_stops_the_keys(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")

    client.post(
        reverse("admin:partners_partnerapikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [issued.key.pk]},
    )

    assert key_authenticate(issued.plaintext) is None


def test_the_rotate_action_shows_the_new_plaintext(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")

    response = client.post(
        reverse("admin:partners_partnerapikey_changelist"),
        {"action": "rotate_keys", "_selected_action": [issued.key.pk]},
        follow=True,
    )

    plaintexts = [match.group(0) for text in _messages(response) if (match := PLAINTEXT.search(text))]
    assert len(plaintexts) == 1
    new = key_authenticate(plaintexts[0])
    assert new is not None and new.pk != issued.key.pk
    assert key_authenticate(issued.plaintext) == issued.key  # still inside the overlap


def test_keys_cannot_be_deleted(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")

    response = client.get(reverse("admin:partners_partnerapikey_delete", args=[issued.key.pk]))

    assert response.status_code == 403


def test_an_operator_is_sent_to_the_admin_login(client: Client, clock: FrozenClock) -> None:
    client.force_login(operator_at(PickupPointFactory()))

    response = client.get(reverse("admin:partners_partnerapikey_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
