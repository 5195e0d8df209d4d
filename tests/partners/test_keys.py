"""Partner API keys: the plaintext shown once, checked by hash, rotated with an overlap, revoked."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pvz.audit.models import AuditRecord
from pvz.core.clock import FrozenClock
from pvz.core.errors import DomainError, ErrorCode
from pvz.partners.models import PartnerApiKey
from pvz.partners.services import (
    key_authenticate,
    key_create,
    key_revoke,
    key_rotate,
    secret_hash,
)
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_key_is_returned_once_and_stored_only_as_a_hash(clock: FrozenClock) -> None:
    admin = UserFactory()
    partner = PartnerFactory()

    issued = key_create(actor=admin, partner=partner, name="Склад")

    match = re.fullmatch(r"pvzk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})", issued.plaintext)
    assert match is not None
    key = PartnerApiKey.objects.get()
    assert key.prefix == match.group(1)
    assert key.secret_hash == secret_hash(match.group(2))
    assert match.group(2) not in str(PartnerApiKey.objects.values().get())
    assert (key.partner, key.name, key.created_by, key.created_at) == (partner, "Склад", admin, clock.now())
    assert (key.expires_at, key.revoked_at, key.last_used_at) == (None, None, None)
    record = AuditRecord.objects.get(action="partner_key.created")
    assert record.actor == admin
    assert record.details == {"partner": partner.pk, "prefix": key.prefix, "name": "Склад"}


def test_keys_of_the_same_partner_differ(clock: FrozenClock) -> None:
    partner = PartnerFactory()

    first = key_create(actor=None, partner=partner, name="a").plaintext
    second = key_create(actor=None, partner=partner, name="a").plaintext

    assert first != second


def test_a_blank_name_is_refused(clock: FrozenClock) -> None:
    with pytest.raises(DomainError) as error:
        key_create(actor=None, partner=PartnerFactory(), name="  ")

    assert error.value.code == ErrorCode.VALIDATION_FAILED
    assert error.value.details == {"field": "name"}


def test_an_expiry_in_the_past_is_refused(clock: FrozenClock) -> None:
    with pytest.raises(DomainError) as error:
        key_create(actor=None, partner=PartnerFactory(), name="a", expires_at=clock.now())

    assert error.value.details == {"field": "expires_at"}


def test_the_right_plaintext_authenticates_and_marks_the_key_used(clock: FrozenClock) -> None:
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")

    key = key_authenticate(issued.plaintext)

    assert key == issued.key
    assert PartnerApiKey.objects.get().last_used_at == clock.now()


def test_last_use_is_written_at_most_once_a_minute(clock: FrozenClock) -> None:
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")
    key_authenticate(issued.plaintext)
    first_use = clock.now()

    clock.advance(seconds=59)
    key_authenticate(issued.plaintext)
    assert PartnerApiKey.objects.get().last_used_at == first_use

    clock.advance(seconds=1)
    key_authenticate(issued.plaintext)
    assert PartnerApiKey.objects.get().last_used_at == first_use + dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: text[:-1] + ("A" if text[-1] != "A" else "B"),  # wrong secret
        lambda text: "pvzk_000000000000_" + text.split("_", 2)[2],  # unknown prefix
        lambda text: text.replace("pvzk_", "pvzx_"),  # wrong scheme
        lambda text: text.rsplit("_", 1)[0] + "_",  # no secret
        lambda text: "",
        lambda text: "garbage",
    ],
    ids=["wrong-secret", "unknown-prefix", "wrong-scheme", "no-secret", "empty", "garbage"],
)
def test_anything_but_the_exact_plaintext_authenticates_nothing(clock: FrozenClock, mangle) -> None:
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")

    assert key_authenticate(mangle(issued.plaintext)) is None


def test_a_key_works_until_the_second_before_it_expires(clock: FrozenClock) -> None:
    expires = clock.now() + dt.timedelta(hours=1)
    issued = key_create(actor=None, partner=PartnerFactory(), name="a", expires_at=expires)

    clock.set(expires - dt.timedelta(seconds=1))
    assert key_authenticate(issued.plaintext) == issued.key
    clock.set(expires)
    assert key_authenticate(issued.plaintext) is None


def test_a_revoked_key_stops_at_once_and_is_audited(clock: FrozenClock) -> None:
    admin = UserFactory()
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")

    revoked = key_revoke(actor=admin, key=issued.key)

    assert revoked.revoked_at == clock.now()
    assert key_authenticate(issued.plaintext) is None
    record = AuditRecord.objects.get(action="partner_key.revoked")
    assert record.actor == admin
    assert record.details == {"partner": issued.key.partner_id, "prefix": issued.key.prefix}


def test_revoking_again_changes_nothing(clock: FrozenClock) -> None:
    issued = key_create(actor=None, partner=PartnerFactory(), name="a")
    key_revoke(actor=None, key=issued.key)
    clock.advance(minutes=5)

    again = key_revoke(actor=None, key=issued.key)

    assert again.revoked_at == clock.now() - dt.timedelta(minutes=5)
    assert AuditRecord.objects.filter(action="partner_key.revoked").count() == 1


def test_rotation_gives_a_new_key_and_the_old_one_works_for_the_overlap_to_the_second(
    clock: FrozenClock,
) -> None:
    old = key_create(actor=None, partner=PartnerFactory(), name="Склад")
    rotated_at = clock.now()

    new = key_rotate(actor=None, key=old.key)

    assert new.plaintext != old.plaintext
    assert (new.key.partner, new.key.name, new.key.expires_at) == (old.key.partner, "Склад", None)
    old.key.refresh_from_db()
    assert old.key.expires_at == rotated_at + dt.timedelta(days=7)
    assert old.key.replaced_by == new.key
    clock.set(rotated_at + dt.timedelta(days=7) - dt.timedelta(seconds=1))
    assert key_authenticate(old.plaintext) == old.key
    clock.set(rotated_at + dt.timedelta(days=7))
    assert key_authenticate(old.plaintext) is None
    assert key_authenticate(new.plaintext) == new.key
    record = AuditRecord.objects.get(action="partner_key.rotated")
    assert record.details == {
        "partner": old.key.partner_id,
        "prefix": old.key.prefix,
        "new_prefix": new.key.prefix,
        "old_expires_at": (rotated_at + dt.timedelta(days=7)).isoformat(),
    }


def test_the_overlap_is_a_setting(clock: FrozenClock, settings) -> None:
    settings.PVZ_PARTNER_KEY_OVERLAP_DAYS = 2
    old = key_create(actor=None, partner=PartnerFactory(), name="a")

    key_rotate(actor=None, key=old.key)

    old.key.refresh_from_db()
    assert old.key.expires_at == clock.now() + dt.timedelta(days=2)


def test_rotation_keeps_an_earlier_own_expiry_of_the_old_key(clock: FrozenClock) -> None:
    soon = clock.now() + dt.timedelta(days=1)
    old = key_create(actor=None, partner=PartnerFactory(), name="a", expires_at=soon)

    new = key_rotate(actor=None, key=old.key)

    old.key.refresh_from_db()
    assert old.key.expires_at == soon
    assert new.key.expires_at == soon


@pytest.mark.parametrize("how", ["revoked", "rotated", "expired"])
def test_only_an_active_key_that_was_not_rotated_yet_can_be_rotated(clock: FrozenClock, how: str) -> None:
    issued = key_create(
        actor=None, partner=PartnerFactory(), name="a", expires_at=clock.now() + dt.timedelta(hours=1)
    )
    if how == "revoked":
        key_revoke(actor=None, key=issued.key)
    elif how == "rotated":
        key_rotate(actor=None, key=issued.key)
    else:
        clock.advance(hours=1)

    with pytest.raises(DomainError) as error:
        key_rotate(actor=None, key=issued.key)

    assert error.value.code == ErrorCode.CONFLICT
    assert error.value.details == {"prefix": issued.key.prefix}
