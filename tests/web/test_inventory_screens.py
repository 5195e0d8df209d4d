"""The «Инвентаризация» pages: start, the scan screen, the finish with the missing list, the report."""

from __future__ import annotations

import re
import uuid

import pytest

from pvz.accounts.roles import Role
from pvz.inventory.models import CountStatus, InventoryCount
from pvz.inventory.services import inventory_scan_cell, inventory_start
from pvz.network.models import SizeClass
from pvz.shipments.statuses import Status
from tests.factories import CellFactory, PickupPointFactory, operator_at
from tests.inventory.conftest import fresh, stored

pytestmark = pytest.mark.django_db

SCANNER = {"X-Pvz-Scanner": "1"}


@pytest.fixture
def cells(point):
    return [
        CellFactory(point=point, address=address, size_class=SizeClass.L, capacity=5)
        for address in ("A-01-1", "A-01-2", "B-01-1")
    ]


@pytest.fixture
def manager(point):
    return operator_at(point, role=Role.MANAGER)


def scan(client, count, code, scan_id=None):
    return client.post(
        f"/inventory/{count.pk}/scan/",
        {"code": code, "scan_id": scan_id or str(uuid.uuid4())},
        headers=SCANNER,
    )


def test_manager_starts_a_zone_count_and_lands_on_the_scan_screen(sign_in, point, manager, cells) -> None:
    client = sign_in(manager, point)

    home = client.get("/inventory/")
    assert home.status_code == 200
    assert '<option value="A">' in home.content.decode() and '<option value="B">' in home.content.decode()

    response = client.post("/inventory/start/", {"zone": "A"})

    count = InventoryCount.objects.get()
    assert response.status_code == 302 and response.url == f"/inventory/{count.pk}/"
    assert (count.zone, count.started_by) == ("A", manager)
    screen = client.get(response.url).content.decode()
    assert "data-scanner-input" in screen and "pvz/scanner.js" in screen
    assert re.search(r'name="scan_id" value="[0-9a-f-]{36}"', screen)
    again = client.post("/inventory/start/", {"zone": ""})
    assert again.status_code == 409 and 'data-error-code="CONFLICT"' in again.content.decode()


def test_operator_sees_the_running_count_and_scans_but_cannot_start_or_finish(
    sign_in, point, operator, manager, cells
) -> None:
    count = inventory_start(actor=manager, point=point)
    client = sign_in(operator, point)

    home = client.get("/inventory/").content.decode()
    assert f'data-open-count="{count.pk}"' in home and "/finish/" not in home
    assert client.post("/inventory/start/", {"zone": ""}).status_code == 403
    assert client.get(f"/inventory/{count.pk}/finish/").status_code == 403
    assert client.post(f"/inventory/{count.pk}/cancel/").status_code == 403
    assert client.get(f"/inventory/{count.pk}/report/").status_code == 403
    assert scan(client, count, "A-01-1").status_code == 200
    support = sign_in(operator_at(point, role=Role.SUPPORT), point)
    assert support.get("/inventory/").status_code == 403


def test_another_points_count_is_404(sign_in, point, manager, cells) -> None:
    elsewhere = PickupPointFactory()
    foreign = inventory_start(actor=operator_at(elsewhere, role=Role.MANAGER), point=elsewhere)
    client = sign_in(manager, point)

    for url in ("", "finish/", "report/"):
        assert client.get(f"/inventory/{foreign.pk}/{url}").status_code == 404
    assert scan(client, foreign, "A-01-1").status_code == 404


def test_scans_show_the_current_cell_big_and_each_outcome_with_its_sound(
    sign_in, point, operator, manager, cells
) -> None:
    a1, a2, _ = cells
    here = stored(point, a1, barcode="ii11807135000")
    elsewhere = stored(point, a2)
    count = inventory_start(actor=manager, point=point)
    client = sign_in(operator, point)

    early = scan(client, count, here.barcode)
    assert early.status_code == 409 and 'data-error-code="NO_CURRENT_CELL"' in early.content.decode()

    cell = scan(client, count, "ф-01-1").content.decode()
    assert 'data-kind="CELL"' in cell and 'data-scan-outcome="prompt"' in cell
    assert 'class="cell-huge" data-cell="A-01-1"' in cell

    found = scan(client, count, "шш11807135000").content.decode()
    assert 'data-kind="FOUND"' in found and 'data-scan-outcome="ok"' in found
    assert "data-progress-parcels>1 / 2<" in found

    moved = scan(client, count, elsewhere.posting_number).content.decode()
    assert 'data-kind="MISPLACED"' in moved and 'data-scan-outcome="warning"' in moved
    assert "A-01-2" in moved and fresh(elsewhere).cell == a1

    unknown = scan(client, count, "nope-1").content.decode()
    assert 'data-kind="UNKNOWN"' in unknown and 'data-scan-outcome="error"' in unknown and "nope-1" in unknown

    no_such_cell = scan(client, count, "C-01-1")  # not a cell here: a code like any other
    assert no_such_cell.status_code == 200 and 'data-kind="UNKNOWN"' in no_such_cell.content.decode()

    # Reloading the screen keeps the operator's current cell.
    page = client.get(f"/inventory/{count.pk}/").content.decode()
    assert 'data-cell="A-01-1"' in page


def test_a_resent_scan_gives_the_first_answer(sign_in, point, operator, manager, cells) -> None:
    _, a2, _ = cells
    parcel = stored(point, a2)
    count = inventory_start(actor=manager, point=point)
    client = sign_in(operator, point)
    scan(client, count, "A-01-1")
    scan_id = str(uuid.uuid4())

    first = scan(client, count, parcel.barcode, scan_id).content.decode()
    replay = scan(client, count, parcel.barcode, scan_id).content.decode()

    assert 'data-kind="MISPLACED"' in first and "data-replayed" not in first
    assert 'data-kind="MISPLACED"' in replay and "data-replayed" in replay


def test_finish_lists_the_missing_with_checkboxes_and_writes_off_only_the_ticked(
    sign_in, point, operator, manager, cells
) -> None:
    a1, a2, b1 = cells
    lost = stored(point, a1)
    kept = stored(point, a2)
    expired = stored(point, b1)
    from pvz.shipments.services import shipment_transition

    shipment_transition(actor=None, shipment_id=expired.pk, to_status=Status.EXPIRED)
    count = inventory_start(actor=manager, point=point)
    client = sign_in(manager, point)

    page = client.get(f"/inventory/{count.pk}/finish/").content.decode()
    assert 'data-missing-count="3"' in page
    assert f'name="confirmed" value="{lost.pk}"' in page and f'name="confirmed" value="{kept.pk}"' in page
    assert f'name="confirmed" value="{expired.pk}"' not in page  # EXPIRED cannot become LOST

    response = client.post(f"/inventory/{count.pk}/finish/", {"confirmed": [str(lost.pk)]})

    assert response.status_code == 302 and response.url == f"/inventory/{count.pk}/report/"
    assert fresh(lost).status == Status.LOST and fresh(kept).status == Status.STORED
    report = client.get(response.url).content.decode()
    assert 'data-count="missing">3<' in report and 'data-count="lost">1<' in report
    assert "data-print" in report
    # The finished count's pages lead to its report.
    assert client.get(f"/inventory/{count.pk}/").url == f"/inventory/{count.pk}/report/"


def test_finish_refusal_is_shown_and_changes_nothing(sign_in, point, manager, cells) -> None:
    a1, _, _ = cells
    parcel = stored(point, a1)
    count = inventory_start(actor=manager, point=point)
    client = sign_in(manager, point)

    response = client.post(f"/inventory/{count.pk}/finish/", {"confirmed": [str(parcel.pk), "999999"]})

    assert response.status_code == 422 and 'data-error-code="VALIDATION_FAILED"' in response.content.decode()
    count.refresh_from_db()
    assert count.status == CountStatus.OPEN and fresh(parcel).status == Status.STORED


def test_cancel_closes_the_count_without_a_report(sign_in, point, manager, operator, cells) -> None:
    count = inventory_start(actor=manager, point=point)
    inventory_scan_cell(actor=operator, count=count, code="A-01-1", scan_id=uuid.uuid4())
    client = sign_in(manager, point)

    response = client.post(f"/inventory/{count.pk}/cancel/")

    assert response.status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.CANCELLED
    assert client.get(f"/inventory/{count.pk}/report/").status_code == 409
    assert client.get("/inventory/").status_code == 200
