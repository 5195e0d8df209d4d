"""`@requires` enforces what it declares, and the OpenAPI document tells every answer an operation can give.

The permission matrix (tests/security) checks the answers of every route for every role; these tests pin
the mechanism itself: the point or object is found and checked before the handler runs, a declaration that
cannot be enforced fails at import, an operation that can be refused documents it, and no handler checks
a permission by hand where `@requires` can."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest
from ninja import Router
from ninja.errors import ConfigError
from ninja.testing import TestClient

from pvz.accounts.roles import Perm, Role
from pvz.api.api import api
from pvz.api.errors import READ_BY_ID_ERRORS, READ_ERRORS
from pvz.api.permissions import Lookup, point_of, requires, subject_of
from pvz.cells.selectors import cell_get
from pvz.core.errors import NotFound, PermissionDenied
from pvz.network.models import Cell, PickupPoint
from tests.factories import CellFactory, PickupPointFactory, UserFactory, operator_at

API_DIR = Path(__file__).resolve().parents[2] / "src" / "pvz" / "api"


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    return [
        (path, method, {**op, "responses": {str(code): answer for code, answer in op["responses"].items()}})
        for path, item in schema["paths"].items()
        for method, op in item.items()
    ]


def _handlers() -> dict[str, Any]:
    """operationId → the function django-ninja calls."""
    found: dict[str, Any] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                found[operation.operation_id or api.get_openapi_operation_id(operation)] = operation.view_func
    return found


def test_every_operation_documents_the_rate_limit() -> None:
    missing = [op["operationId"] for _p, _m, op in _operations() if "429" not in op["responses"]]
    assert missing == []


def test_every_operation_that_requires_a_permission_documents_403_and_404() -> None:
    handlers = _handlers()
    missing = [
        op["operationId"]
        for _p, _m, op in _operations()
        if getattr(handlers[op["operationId"]], "required_perm", None) is not None
        and not {"403", "404"} <= set(op["responses"])
        and op["operationId"] not in {"point_applications_list", "audit_list"}  # no point in the path
    ]
    assert missing == []


def test_no_handler_checks_a_permission_by_hand_where_requires_can() -> None:
    """`point_for` / `require_perm` in a handler is left only for points named in a body or query."""
    by_hand: list[str] = []
    for path in sorted(API_DIR.rglob("*.py")):
        if path.name == "permissions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"point_for", "require_perm"}:
                keywords = {kw.arg: ast.unparse(kw.value) for kw in node.keywords}
                by_hand.append(f"{path.name}:{keywords.get('point_id')}")
    assert sorted(by_hand) == ["audit.py:query.point", "shipments.py:query.point", "staff.py:other_id"]


# ---- the mechanism, on a router of its own ---------------------------------------------------------------

CELL = Lookup("cell_id", lambda user, cell_id: cell_get(user=user, point=None, cell_id=cell_id))
calls: list[str] = []


def _router() -> Router:
    router = Router(auth=lambda request: request.user if request.user.is_authenticated else None)

    @router.get("/points/{point_id}", response={200: dict[str, Any], **READ_BY_ID_ERRORS})
    @requires(Perm.MANAGE_POINT)
    def by_point(request: HttpRequest, point_id: int) -> dict[str, Any]:
        calls.append("by_point")
        return {"point": point_of(request).pk}

    @router.get("/cells/{cell_id}", response={200: dict[str, Any], **READ_ERRORS})
    @requires(Perm.MANAGE_POINT, via=CELL)
    def by_cell(request: HttpRequest, cell_id: int) -> dict[str, Any]:
        calls.append("by_cell")
        return {"cell": subject_of(request, Cell).pk, "point": point_of(request).pk}

    return router


@pytest.fixture
def client() -> TestClient:
    calls.clear()
    return TestClient(_router())


@pytest.mark.django_db
def test_the_point_of_the_path_is_checked_before_the_handler_runs(client: TestClient) -> None:
    point, other = PickupPointFactory(), PickupPointFactory()
    manager, operator = operator_at(point, Role.MANAGER), operator_at(point)

    assert client.get(f"/points/{point.pk}", user=manager).json() == {"point": point.pk}
    with pytest.raises(NotFound):
        client.get(f"/points/{other.pk}", user=manager)
    with pytest.raises(PermissionDenied):
        client.get(f"/points/{point.pk}", user=operator)
    assert calls == ["by_point"]


@pytest.mark.django_db
def test_the_object_of_the_path_is_found_and_its_point_checked(client: TestClient) -> None:
    point = PickupPointFactory()
    mine, foreign = CellFactory(point=point), CellFactory(point=PickupPointFactory())
    manager = operator_at(point, Role.MANAGER)

    assert client.get(f"/cells/{mine.pk}", user=manager).json() == {"cell": mine.pk, "point": point.pk}
    with pytest.raises(NotFound):
        client.get(f"/cells/{foreign.pk}", user=manager)
    with pytest.raises(PermissionDenied):
        client.get(f"/cells/{mine.pk}", user=operator_at(point))
    with pytest.raises(NotFound):
        client.get(f"/cells/{mine.pk}", user=UserFactory())
    assert calls == ["by_cell"]


def test_a_declaration_that_names_no_point_fails_at_import() -> None:
    with pytest.raises(ConfigError, match="point_id parameter or exactly one of"):

        @requires(Perm.OPERATE)
        def nowhere(request: HttpRequest, cell_id: int) -> None: ...

    with pytest.raises(ConfigError, match="exactly one of"):

        @requires(Perm.OPERATE, via=CELL, platform=True)
        def twice(request: HttpRequest, cell_id: int) -> None: ...


def test_an_operation_that_does_not_document_403_and_404_is_refused() -> None:
    router = Router()

    with pytest.raises(ConfigError, match=r"declare ErrorOut for \[403, 404\]"):

        @router.get("/points/{point_id}", response={200: dict[str, Any], 401: READ_ERRORS[401]})
        @requires(Perm.VIEW_POINT)
        def undocumented(request: HttpRequest, point_id: int) -> dict[str, Any]:
            return {}


@pytest.mark.django_db
def test_subject_of_names_the_model_the_lookup_finds(client: TestClient) -> None:
    point = PickupPointFactory()
    cell = CellFactory(point=point)
    request = HttpRequest()
    request.user = operator_at(point, Role.MANAGER)
    request.auth = request.user  # type: ignore[attr-defined]

    @requires(Perm.MANAGE_POINT, via=CELL)
    def handler(request: HttpRequest, cell_id: int) -> PickupPoint:
        return subject_of(request, PickupPoint)

    with pytest.raises(ConfigError, match="found Cell, not PickupPoint"):
        handler(request, cell_id=cell.pk)
