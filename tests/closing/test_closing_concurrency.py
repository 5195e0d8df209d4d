"""Closing races: a manifest loaded while the owner starts closing either lands before (and then holds
the point open) or is refused, never half; two approvals of one application create one point."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.accounts.roles import Role
from pvz.closing.selectors import point_leftovers
from pvz.closing.services import point_close_start
from pvz.core.errors import DomainError, ErrorCode
from pvz.inbound.models import Carriage
from pvz.network.models import PickupPoint, PointStatus
from pvz.onboarding.models import ApplicationStatus, PointApplication
from pvz.onboarding.services import ApplicationForm, PointDraft, application_approve, application_submit
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate
from tests.factories import PartnerFactory, PickupPointFactory, operator_at
from tests.races import race, skip_on_in_memory_sqlite

pytestmark = pytest.mark.django_db(transaction=True)

ETA = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def needs_file_database() -> None:
    skip_on_in_memory_sqlite()


def _outcome(value: object) -> object:
    return value.code if isinstance(value, DomainError) else type(value).__name__


def test_a_manifest_racing_the_start_of_closing_either_lands_first_or_is_refused(needs_file_database) -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)
    partner = PartnerFactory()
    manifest = manifest_generate(seed=21, parcels=3, totes=1)

    outcomes = race(
        lambda: manifest_load(manifest=manifest, partner=partner, point=point, eta=ETA),
        lambda: point_close_start(actor=owner, point=point, reason="Аренда"),
    )

    assert _outcome(outcomes[1]) == "PickupPoint"
    assert PickupPoint.objects.get(pk=point.pk).status == PointStatus.CLOSING
    if isinstance(outcomes[0], DomainError):
        assert outcomes[0].code == ErrorCode.POINT_CLOSING
        assert Carriage.objects.filter(point=point).count() == 0
    else:
        assert point_leftovers(point=point).inbound_carriages == 1


def test_two_admins_approving_one_application_at_once_create_one_point(
    needs_file_database, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    admin_a = operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN)
    admin_b = operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN)
    application = application_submit(
        form=ApplicationForm(
            applicant_name="Иван Петров",
            phone="+79161234567",
            email="ivan@example.ru",
            address="Москва, ул. Тверская, 7",
            area_m2=40,
            opening_hours="9–21",
        )
    )

    def approve(admin, code):
        return lambda: application_approve(
            actor=admin,
            application=application,
            draft=PointDraft(code=code, name="ПВЗ", timezone="Europe/Moscow", capacity=100),
        )

    outcomes = race(approve(admin_a, "first"), approve(admin_b, "second"))

    assert sorted(str(_outcome(o)) for o in outcomes) == sorted(["PointApplication", ErrorCode.CONFLICT])
    assert PickupPoint.objects.filter(code__in=["first", "second"]).count() == 1
    assert PointApplication.objects.get().status == ApplicationStatus.APPROVED
