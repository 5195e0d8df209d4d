"""The Ячейки pages: occupancy by zone, bulk creation with preview, edit, retire, labels."""

from __future__ import annotations

import pytest
from django.test import Client

from pvz.accounts.roles import Role
from pvz.network.models import Cell
from pvz.web.middleware import POINT_SESSION_KEY
from tests.factories import CellFactory, PickupPointFactory, operator_at


@pytest.fixture
def signed_in(client: Client, point):
    def sign_in(user) -> Client:
        client.force_login(user, backend="pvz.accounts.backends.PhoneCodeBackend")
        session = client.session
        session[POINT_SESSION_KEY] = point.pk
        session.save()
        return client

    return sign_in


@pytest.fixture
def web(signed_in, manager) -> Client:
    return signed_in(manager)


def test_list_groups_cells_by_zone_with_their_occupancy(web, point, store):
    a = CellFactory(point=point, address="A-01-1", capacity=4)
    CellFactory(point=point, address="B-01-1", capacity=2)
    store(a)

    response = web.get("/cells/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-zone="A"' in html
    assert 'data-zone="B"' in html
    assert 'data-cell="A-01-1" data-held="1"' in html
    assert 'data-cell="B-01-1" data-held="0"' in html


def test_list_filters_by_zone_typed_in_any_case(web, point):
    CellFactory(point=point, address="A-01-1")
    CellFactory(point=point, address="B-01-1")

    html = web.get("/cells/?zone=b").content.decode()

    assert 'data-cell="B-01-1"' in html
    assert 'data-cell="A-01-1"' not in html


def test_retire_button_only_for_an_empty_cell(web, point, store):
    empty = CellFactory(point=point, address="A-01-1")
    full = CellFactory(point=point, address="A-01-2")
    store(full)

    html = web.get("/cells/").content.decode()

    assert f"/cells/{empty.pk}/retire/" in html
    assert f"/cells/{full.pk}/retire/" not in html


def test_operator_cannot_open_cells(signed_in, point):
    assert signed_in(operator_at(point)).get("/cells/").status_code == 403


def test_create_via_post_makes_the_cells_and_returns_to_the_list(web, point):
    form = {
        "zones": "ф, B",
        "rack_first": 1,
        "rack_last": 2,
        "shelf_first": 1,
        "shelf_last": 2,
        "size_class": "S",
        "capacity": 12,
    }

    response = web.post("/cells/new/", form, follow=True)

    assert response.redirect_chain == [("/cells/", 302)]
    assert sorted(Cell.objects.filter(point=point).values_list("address", flat=True)) == [
        "A-01-1", "A-01-2", "A-02-1", "A-02-2", "B-01-1", "B-01-2", "B-02-1", "B-02-2",
    ]  # fmt: skip
    assert "Создано 8 ячеек." in response.content.decode()


def test_create_clash_shows_the_addresses_and_creates_nothing(web, point):
    CellFactory(point=point, address="A-01-2")
    form = {"zones": "A", "rack_first": 1, "rack_last": 1, "shelf_first": 1, "shelf_last": 3}

    response = web.post("/cells/new/", {**form, "size_class": "M", "capacity": 5})

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-code="VALIDATION_FAILED"' in html
    assert "A-01-2" in html
    assert Cell.objects.filter(point=point).count() == 1


def test_preview_counts_the_addresses_and_warns_of_clashes(web, point):
    CellFactory(point=point, address="A-03-2")
    query = "zones=A+B&rack_first=1&rack_last=4&shelf_first=1&shelf_last=3&size_class=M&capacity=5"

    html = web.get(f"/cells/new/preview/?{query}").content.decode()

    assert 'data-count="24"' in html
    assert 'data-clashes="1"' in html
    assert "A-03-2" in html


def test_preview_explains_a_bad_zone(web):
    query = "zones=A1&rack_first=1&rack_last=4&shelf_first=1&shelf_last=3&size_class=M&capacity=5"

    html = web.get(f"/cells/new/preview/?{query}").content.decode()

    assert 'data-error-code="VALIDATION_FAILED"' in html
    assert "A1" in html


def test_edit_changes_capacity_and_refuses_below_what_is_held(web, point, store):
    cell = CellFactory(point=point, address="A-01-1", capacity=5, size_class="M")
    store(cell)
    store(cell)

    refused = web.post(f"/cells/{cell.pk}/edit/", {"size_class": "M", "capacity": 1})
    saved = web.post(f"/cells/{cell.pk}/edit/", {"size_class": "M", "capacity": 2})

    assert refused.status_code == 422
    assert 'data-error-code="VALIDATION_FAILED"' in refused.content.decode()
    assert saved.status_code == 302
    assert Cell.objects.get(pk=cell.pk).capacity == 2


def test_edit_of_a_cell_of_another_point_is_404(web):
    other = CellFactory(point=PickupPointFactory())

    assert web.get(f"/cells/{other.pk}/edit/").status_code == 404


def test_retire_empty_cell_and_refuse_one_holding_a_parcel(web, point, store):
    empty = CellFactory(point=point, address="A-01-1")
    holding = CellFactory(point=point, address="A-01-2")
    store(holding)

    web.post(f"/cells/{empty.pk}/retire/")
    response = web.post(f"/cells/{holding.pk}/retire/", follow=True)

    assert Cell.objects.get(pk=empty.pk).is_active is False
    assert Cell.objects.get(pk=holding.pk).is_active is True
    assert "CONFLICT" in response.content.decode()


def test_retire_needs_post(web, point):
    cell = CellFactory(point=point)

    assert web.get(f"/cells/{cell.pk}/retire/").status_code == 405
    assert Cell.objects.get(pk=cell.pk).is_active is True


def test_labels_pdf_for_a_zone_and_for_ticked_cells(web, point):
    a = CellFactory(point=point, address="A-01-1")
    CellFactory(point=point, address="B-01-1")

    zone = web.get("/cells/labels.pdf?print_zone=A&ids=999999")
    ticked = web.get(f"/cells/labels.pdf?ids={a.pk}&layout=58x40")

    for response in (zone, ticked):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


def test_special_places_button_creates_them(web, point):
    assert "special-places" in web.get("/cells/").content.decode()

    web.post("/cells/special-places/")

    assert Cell.objects.filter(point=point, address="INSPECTION").exists()
    assert 'data-action="special-places"' not in web.get("/cells/").content.decode()


def test_platform_admin_without_membership_may_manage_cells(signed_in, point):
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    assert signed_in(admin).get("/cells/new/").status_code == 200
