import pytest

from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint
from pvz.web.sections import SECTIONS
from tests.factories import operator_at

pytestmark = pytest.mark.django_db

LATER = "Этот раздел появится в одном из следующих выпусков."


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.page is None], ids=lambda s: s.slug)
def test_every_placeholder_section_page_says_what_it_will_do(sign_in, point: PickupPoint, section):
    client = sign_in(operator_at(point, Role.OWNER), point)

    response = client.get(f"/{section.slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{section.title}</h1>" in html
    assert str(section.promise) in html
    assert (LATER in html) is (section.slug != "search")


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.page is not None], ids=lambda s: s.slug)
def test_every_built_section_opens_its_real_page_highlighted_in_the_menu(
    sign_in, point: PickupPoint, section
):
    client = sign_in(operator_at(point, Role.OWNER), point)

    response = client.get(f"/{section.slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert LATER not in html
    assert f'href="/{section.slug}/" aria-current="page"' in html


def test_section_without_the_permission_is_403(sign_in, point: PickupPoint, operator):
    client = sign_in(operator, point)

    response = client.get("/cells/")

    assert response.status_code == 403
    assert "PERMISSION_DENIED" in response.content.decode()


def test_platform_admin_cannot_open_counter_work(sign_in, point: PickupPoint):
    client = sign_in(operator_at(point, Role.PLATFORM_ADMIN), point)

    assert client.get("/issue/").status_code == 403
    assert client.get("/reports/").status_code == 200


def test_menu_offers_only_the_sections_the_role_may_open(sign_in, point: PickupPoint, operator):
    client = sign_in(operator, point)

    html = client.get("/").content.decode()

    assert 'href="/issue/"' in html
    assert 'href="/cells/"' not in html
    assert 'href="/reports/"' not in html
