"""The permission matrix's machinery: every URL of the project read from the URL configuration, what each
one declares it needs, and a world of two points to call them in.

A URL whose view (page) or handler (API) declares nothing cannot be placed in the matrix, so the matrix
fails for it, naming the URL and what to declare. Declarations:

- pages: `pvz.web.permissions.require_point_perm(Perm.X)`, `require_sign_in`, `require_outbox_access`,
  or `public_page` for pages open to anyone;
- API: `pvz.api.permissions.requires(Perm.X)` (the permission at the point the URL names) or
  `requires_sign_in` (no point: the caller themself, or only ever the caller's own points).
- partner API: `pvz.api.partner_auth.requires_partner` (a partner API key; users' sessions are 401, another
  partner's objects 404).
- `/metrics`: `pvz.config.metrics.ACCESS_METRICS` (the scraper's address or token, never a person's
  session: from an address not allowed it is 403 for everyone; tests/metrics shows who it opens for).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from pvz.accounts.models import User
from pvz.accounts.roles import ROLE_PERMS, Perm, Role
from pvz.anomalies.models import AnomalyFlag, Rule, Suspension
from pvz.api.partner_auth import ACCESS_PARTNER as API_PARTNER
from pvz.api.permissions import ACCESS_SIGN_IN as API_SIGN_IN
from pvz.config.metrics import ACCESS_METRICS
from pvz.counter.models import IssueSession, Verification
from pvz.counter.services import session_open, session_scan
from pvz.inbound.models import Acceptance, Carriage, Tote, ToteStatus
from pvz.inbound.services import acceptance_open
from pvz.inventory.models import InventoryCount
from pvz.inventory.services import inventory_start
from pvz.network.models import Cell, Partner, PickupPoint, SizeClass
from pvz.onboarding.services import ApplicationForm, application_submit
from pvz.outbound.services import return_carriage_create, return_parcel_scan, return_tote_scan
from pvz.returns.models import CustomerReturn, ReturnReason, ReturnVisit
from pvz.returns.services import customer_return_create, return_visit_open
from pvz.shipments.customer_links import customer_link_sign
from pvz.shipments.models import Customer, Shipment
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.shipments.services import shipment_transition
from pvz.shipments.statuses import Status
from pvz.simulator.loader import manifest_load
from pvz.simulator.manifests import manifest_generate
from pvz.web.permissions import ACCESS_OUTBOX, ACCESS_PUBLIC, ACCESS_SIGN_IN
from tests.factories import (
    CellFactory,
    CustomerFactory,
    OrderFactory,
    PartnerFactory,
    PartnerPointFactory,
    PickupPointFactory,
    ShipmentFactory,
    operator_at,
)
from tests.onboarding.conftest import form_data as application_form
from tests.partners.keys import partner_key_for

API_PREFIX = "api/v1/"

# URL kwargs naming objects that belong to no point (reviewed platform-wide): no foreign point for them.
PLATFORM_OBJECT_KWARGS = frozenset({"application_id", "application_photo_id"})

# URLs left out of the matrix, each with the reason.
EXCLUDED_NAMESPACES: dict[str, str] = {
    "admin": "Django admin: its own staff check (is_staff), tested in tests/accounts/test_admin.py",
}
EXCLUDED_ROUTES: dict[str, str] = {
    "i18n/setlang/": "Django's language switch: open to everyone by design, it only sets a cookie",
    f"{API_PREFIX}<path:rest>": "the API's catch-all for unknown paths (a 404 body), not an endpoint",
    API_PREFIX: "django-ninja's root: always a 404 (it only anchors the API's URL names)",
    f"{API_PREFIX}openapi.json": "the OpenAPI document, served by django-ninja to anyone, as /api/docs is",
}

HOW_TO_DECLARE = (
    "declare what it needs: a page with @require_point_perm(Perm.X) / @require_sign_in / @public_page "
    "(pvz.web.permissions); an API handler with @requires(Perm.X) / @requires_sign_in "
    "(pvz.api.permissions), right above its `def`"
)

# Roles of the matrix: three tied to one point, two platform-wide (they reach every point, so "a foreign
# point" does not exist for them).
POINT_ROLES: tuple[str, ...] = (Role.OPERATOR, Role.MANAGER, Role.OWNER)
PLATFORM_ROLES: tuple[str, ...] = (Role.SUPPORT, Role.PLATFORM_ADMIN)
ANONYMOUS = "anonymous"
# A partner's system calling the partner API with its key (`Site.partner_key`); "foreign" is that key
# naming another partner's objects.
PARTNER = "partner"
# Where the matrix calls `/metrics` from: an address not in PVZ_METRICS_ALLOWED_IPS (the test client's
# default, 127.0.0.1, is allowed).
OUTSIDE_ADDRESS = "203.0.113.9"


@dataclass(frozen=True)
class Route:
    """One URL of the project (one per method for the API)."""

    kind: str  # "page" or "api"
    route: str  # the full Django route, e.g. "api/v1/cells/<int:cell_id>"
    name: str  # "web:cells_list" or the API operationId
    method: str  # the API operation's method; "GET" for pages (the test posts when a page answers 405)
    view: Callable[..., Any]
    kwargs: tuple[str, ...]
    query: frozenset[str] = frozenset()  # the API operation's query parameters

    @property
    def names_point(self) -> bool:
        """Whether the request names a point: in the path, through an object, or in the query (API);
        a page always works at the session's current point."""
        return (
            self.kind == "page"
            or any(name not in PLATFORM_OBJECT_KWARGS for name in self.kwargs)
            or "point" in self.query
        )

    @property
    def perm(self) -> Perm | None:
        return getattr(self.view, "required_perm", None)

    @property
    def access(self) -> str | None:
        """ "perm", "sign_in", "public", "outbox" or "metrics"; None when the view declares nothing."""
        if self.perm is not None:
            return "perm"
        return getattr(self.view, "access", None)

    @property
    def label(self) -> str:
        return f"{self.method} /{self.route} ({self.name})"


def _join(prefix: str, pattern: URLPattern | URLResolver) -> str:
    return prefix + str(pattern.pattern)


def _api_operations(callback: Callable[..., Any]) -> list[Any]:
    """The django-ninja operations behind one URL: its view closes over the PathView that holds them."""
    if not inspect.isfunction(callback):
        return []
    closure = inspect.getclosurevars(callback).nonlocals
    path_view = closure.get("self")
    return list(getattr(path_view, "operations", []))


@functools.cache
def _openapi(api: Any) -> dict[str, Any]:
    return api.get_openapi_schema()


def _query_parameters(operation: Any, route: str, method: str) -> frozenset[str]:
    spec = _openapi(operation.api)["paths"].get("/" + KWARG.sub(r"{\1}", route), {}).get(method.lower(), {})
    return frozenset(p["name"] for p in spec.get("parameters", []) if p.get("in") == "query")


def _walk(resolvers: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in resolvers:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}" if pattern.namespace and namespace else pattern.namespace
            )
            yield from _walk(pattern.url_patterns, _join(prefix, pattern), inner or namespace)
        else:
            yield _join(prefix, pattern), namespace, pattern


KWARG = re.compile(r"<(?:\w+:)?(\w+)>")  # a Django route's <converter:name>


def _kwargs(route: str) -> tuple[str, ...]:
    return tuple(KWARG.findall(route))


def project_routes() -> tuple[list[Route], list[str]]:
    """Every page and API operation of the URL configuration, and the labels of those left out with
    their reasons (admin, the language switch, the API's catch-all)."""
    routes: list[Route] = []
    excluded: list[str] = []
    seen: set[tuple[str, str]] = set()
    for route, namespace, pattern in _walk(get_resolver().url_patterns, "", ""):
        top = namespace.split(":")[0]
        if top in EXCLUDED_NAMESPACES:
            excluded.append(f"/{route}: {EXCLUDED_NAMESPACES[top]}")
            continue
        if route in EXCLUDED_ROUTES:
            excluded.append(f"/{route}: {EXCLUDED_ROUTES[route]}")
            continue
        name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
        operations = _api_operations(pattern.callback) if route.startswith(API_PREFIX) else []
        if operations:
            # Ninja routes a path once per operation, each time to the view of all of the path's
            # operations: take each (path, method) once.
            for operation in operations:
                for method in operation.methods:
                    if (route, method) in seen:
                        continue
                    seen.add((route, method))
                    routes.append(
                        Route(
                            kind="api",
                            route=route,
                            name=operation.operation_id or operation.view_func.__name__,
                            method=method,
                            view=operation.view_func,
                            kwargs=_kwargs(route),
                            query=_query_parameters(operation, route, method),
                        )
                    )
        else:
            routes.append(
                Route(
                    kind="page",
                    route=route,
                    name=name,
                    method="GET",
                    view=pattern.callback,
                    kwargs=_kwargs(route),
                )
            )
    return routes, excluded


# ---- expectations -------------------------------------------------------------------------------------

ALLOWED = "allowed"  # anything but 401, 403, 404, 405 and the sign-in / point-picker redirects
SIGN_IN = "sign-in"  # pages: redirect to /login/; API: 401
FORBIDDEN = "403"
NOT_FOUND = "404"
PICK_POINT = "pick-point"  # pages: redirect to the point picker (the session names a point not the user's)


# Public pages that only serve something while a sign-in is under way, with their answer without one.
PUBLIC_WITHOUT_STATE: dict[str, str] = {
    # The QR of an authenticator enrolment forced during a pending sign-in (owner's rule): 404 without
    # one; tests/web/test_factor_screens.py shows it with one.
    "web:login_second_factor_qr": NOT_FOUND,
}


@dataclass(frozen=True)
class Case:
    route: Route
    role: str  # a Role value or "anonymous"
    scope: str  # "own", "foreign" or "-" (anonymous, or no point involved)
    expected: str

    @property
    def id(self) -> str:
        return f"{self.route.method} {self.route.name} {self.role} {self.scope}"


# URL kwargs that name no object of a point (the customer's signed link, a button's action, a permission).
NON_OBJECT_KWARGS = {"link", "action", "perm"}


def names_object(route: Route) -> bool:
    """Whether the URL names an object (a parcel, a cell, a session...) besides, perhaps, the point."""
    return any(name != "point_id" and name not in NON_OBJECT_KWARGS for name in route.kwargs)


def cases_for(route: Route) -> list[Case]:
    """The matrix row of one URL: anonymous, each role at its own point, each point role at a foreign one."""
    access = route.access
    if access is None:
        return []
    if access == ACCESS_PUBLIC:
        return [Case(route, ANONYMOUS, "-", PUBLIC_WITHOUT_STATE.get(route.name, ALLOWED))]
    cases = [Case(route, ANONYMOUS, "-", SIGN_IN)]
    if access == API_PARTNER:
        # The partner API: a key, never a user's session (401); another partner's objects are a 404.
        cases += [Case(route, role, "-", SIGN_IN) for role in (*POINT_ROLES, *PLATFORM_ROLES)]
        cases.append(Case(route, PARTNER, "own", ALLOWED))
        if names_object(route):
            cases.append(Case(route, PARTNER, "foreign", NOT_FOUND))
        return cases
    if access in (ACCESS_SIGN_IN, API_SIGN_IN):
        cases += [Case(route, role, "-", ALLOWED) for role in (*POINT_ROLES, *PLATFORM_ROLES)]
        return cases
    if access == ACCESS_METRICS:
        # A session is no key to the metrics: from outside, everyone is refused alike.
        return [Case(route, role, "-", FORBIDDEN) for role in (ANONYMOUS, *POINT_ROLES, *PLATFORM_ROLES)]
    if access == ACCESS_OUTBOX:
        # Platform-wide: the permission is the user's, not a point's.
        for role in (*POINT_ROLES, *PLATFORM_ROLES):
            allowed = Perm.VIEW_SMS_OUTBOX in ROLE_PERMS[role]
            cases.append(Case(route, role, "-", ALLOWED if allowed else FORBIDDEN))
        return cases
    perm = route.perm
    assert perm is not None
    for role in (*POINT_ROLES, *PLATFORM_ROLES):
        allowed = perm in ROLE_PERMS[role]
        cases.append(Case(route, role, "own", ALLOWED if allowed else FORBIDDEN))
    if not route.names_point:
        return cases  # a platform-wide operation: no point, so no foreign one either
    for role in POINT_ROLES:
        if route.kind == "api":
            expected = NOT_FOUND  # the point (or the object's point) is not disclosed, whatever the role
        elif names_object(route):
            # The page checks the permission at the current (own) point first, then finds the object
            # among that point's: another point's object is a 404.
            expected = NOT_FOUND if perm in ROLE_PERMS[role] else FORBIDDEN
        else:
            # A page names no object: "foreign" is a session pointing at a point not the user's, which
            # the middleware forgets, so the page asks to choose a point.
            expected = PICK_POINT
        cases.append(Case(route, role, "foreign", expected))
    return cases


# ---- the world: two points with one of every object -----------------------------------------------------


def png_file(name: str = "photo.png") -> SimpleUploadedFile:
    """A real 1 × 1 PNG."""
    from tests.returns.conftest import png_bytes

    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@dataclass
class Site:
    """One point with one object of every kind the URLs name."""

    point: PickupPoint
    partner: Partner
    customer: Customer
    operator: User
    cell: Cell
    stored: Shipment
    carriage: Carriage
    acceptance: Acceptance
    session: IssueSession
    line_id: int
    count: InventoryCount
    visit: ReturnVisit
    customer_return: CustomerReturn
    photo_id: int
    return_carriage: Carriage
    return_tote_id: int
    link: str
    returned: Shipment  # issued, brought back by the customer, now in the return carriage's tote
    flag_id: int  # an open anomaly flag of the operator
    suspension_id: int  # an active suspension of another operator of the point
    application_id: int  # a pending application to open a point (platform-wide), with one photo
    application_photo_id: int
    partner_key: str  # the plaintext API key of `partner`


def _stored(point: PickupPoint, partner: Partner, customer: Customer, cell: Cell) -> Shipment:
    order = OrderFactory(partner=partner, customer=customer)
    shipment = ShipmentFactory(point=point, partner=partner, order=order, status=Status.ACCEPTED)
    return shipment_transition(
        actor=None, shipment_id=shipment.pk, to_status=Status.STORED, cell=cell
    ).shipment


def site_build(seed: int) -> Site:
    """A point with its operator and one object of every kind, made through the services (`seed` keeps
    the manifest's and the tote's codes apart between sites)."""
    point = PickupPointFactory()
    partner = PartnerFactory()
    PartnerPointFactory(partner=partner, point=point)
    cell = CellFactory(point=point, address="A-01-1", size_class=SizeClass.XL, capacity=20)
    CellFactory(point=point, address="A-01-2", size_class=SizeClass.XL, capacity=20)
    customer = CustomerFactory()
    operator = operator_at(point)
    stored = _stored(point, partner, customer, cell)
    issued = _stored(point, partner, customer, cell)
    issued = shipment_transition(actor=operator, shipment_id=issued.pk, to_status=Status.ISSUED).shipment

    carriage = manifest_load(
        manifest=manifest_generate(seed=seed, parcels=2, totes=1),
        partner=partner,
        point=point,
        eta=dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC),
    )
    acceptance = acceptance_open(actor=operator, carriage=carriage)

    session = session_open(
        actor=operator, point=point, customer=customer, verification=Verification.PICKUP_CODE
    )
    session_scan(actor=operator, session=session, code=stored.barcode)
    line = session.lines.order_by("pk").first()
    assert line is not None, "the scan should have added a line"

    count = inventory_start(actor=operator, point=point)
    visit = return_visit_open(actor=operator, point=point, code=pickup_code_for(customer))
    reason = ReturnReason.objects.filter(partner=None).order_by("pk").first()
    assert reason is not None, "the migrations seed the common return reasons"
    customer_return = customer_return_create(
        actor=operator,
        visit=visit,
        code=issued.barcode,
        reason_id=reason.pk,
        condition="new",
        photos=[png_file()],
    )
    photo = customer_return.photos.order_by("pk").first()
    assert photo is not None

    # A return carriage with a tote of returns holding the returned parcel (now AWAITING_DISPATCH).
    return_carriage = return_carriage_create(actor=operator, point=point, partner_id=partner.pk)
    tote = Tote.objects.create(
        partner=partner, barcode=f"%101%{90000000000 + seed}", point=point, status=ToteStatus.EMPTY
    )
    dispatch_tote = return_tote_scan(
        actor=operator, carriage=return_carriage, code=tote.barcode
    ).dispatch_tote
    return_parcel_scan(
        actor=operator, carriage=return_carriage, tote_id=dispatch_tote.pk, code=issued.barcode
    )
    flagged = operator_at(point)
    flag = AnomalyFlag.objects.create(
        user=operator, point=point, rule=Rule.MANUAL_CODES, details={}, created_at=timezone.now()
    )
    suspension = Suspension.objects.create(user=flagged, point=point, flag=flag, created_at=timezone.now())
    application = application_submit(
        form=ApplicationForm(**application_form(phone=f"+7916{seed:07d}")), photos=[png_file()]
    )
    application_photo = application.photos.get()
    return Site(
        point=point,
        partner=partner,
        customer=customer,
        operator=operator,
        cell=cell,
        stored=stored,
        carriage=carriage,
        acceptance=acceptance,
        session=session,
        line_id=line.pk,
        count=count,
        visit=visit,
        customer_return=customer_return,
        photo_id=photo.pk,
        return_carriage=return_carriage,
        return_tote_id=dispatch_tote.pk,
        link=customer_link_sign(customer),
        returned=issued,
        flag_id=flag.pk,
        suspension_id=suspension.pk,
        application_id=application.pk,
        application_photo_id=application_photo.pk,
        partner_key=partner_key_for(partner),
    )


def _partner_endpoint(site: Site) -> Any:
    """The site partner's webhook endpoint (made on first use)."""
    from pvz.webhooks.models import WebhookEndpoint

    endpoint, _ = WebhookEndpoint.objects.get_or_create(
        partner=site.partner, url="https://hooks.example/matrix", defaults={"secret": "whsec_matrix"}
    )
    return endpoint


def _partner_delivery(site: Site) -> Any:
    """A dead webhook delivery of the site partner (made on first use)."""
    from pvz.webhooks.models import DeliveryStatus, OutboxEvent, WebhookDelivery

    endpoint = _partner_endpoint(site)
    existing = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    if existing is not None:
        return existing
    now = timezone.now()
    event = OutboxEvent.objects.create(
        event_id=f"evt_matrix_{site.partner.pk}",
        partner=site.partner,
        type="carriage.updated",
        ordering_key="carriage:0",
        payload={},
        created_at=now,
        fanned_out_at=now,
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        ordering_key=event.ordering_key,
        status=DeliveryStatus.DEAD,
        next_attempt_at=now,
        give_up_at=now,
        created_at=now,
    )


def _partner_reason(route: Route, site: Site) -> Any:
    """The site partner's own refusal or return reason, by the URL (made on first use)."""
    from pvz.counter.models import RefusalReason

    model = RefusalReason if "refusal-reasons/" in route.route else ReturnReason
    reason, _ = model.objects.get_or_create(partner=site.partner, code="matrix", defaults={"title": "M"})
    return reason


def _is_return_carriage(route: str) -> bool:
    return route.startswith(("dispatch/", f"{API_PREFIX}return-carriages/"))


def kwarg_value(route: Route, name: str, site: Site) -> Any:
    """The value of one URL kwarg for an object of `site`: add a line here for a new kind of object."""
    returns = _is_return_carriage(route.route)
    values: dict[str, Callable[[], Any]] = {
        "point_id": lambda: site.point.pk,
        "cell_id": lambda: site.cell.pk,
        # In a return carriage's URL: the parcel in the carriage; elsewhere a parcel on the shelf.
        "shipment_id": lambda: (site.returned if returns else site.stored).pk,
        "carriage_id": lambda: (site.return_carriage if returns else site.carriage).pk,
        "acceptance_id": lambda: site.acceptance.pk,
        "session_id": lambda: site.session.pk,
        "line_id": lambda: site.line_id,
        "action": lambda: "take",
        "count_id": lambda: site.count.pk,
        "inventory_id": lambda: site.count.pk,
        "tote_id": lambda: site.return_tote_id,
        "visit_id": lambda: site.visit.pk,
        "return_id": lambda: site.customer_return.pk,
        "photo_id": lambda: site.photo_id,
        "link": lambda: site.link,
        "membership_id": lambda: site.operator.memberships.get(point=site.point).pk,
        "perm": lambda: Perm.VIEW_FINANCE.value,
        "flag_id": lambda: site.flag_id,
        "suspension_id": lambda: site.suspension_id,
        "application_id": lambda: site.application_id,
        "application_photo_id": lambda: site.application_photo_id,
        "partner_id": lambda: site.partner.pk,
        "endpoint_id": lambda: _partner_endpoint(site).pk,
        "delivery_id": lambda: _partner_delivery(site).pk,
        "reason_id": lambda: _partner_reason(route, site).pk,
        "number": lambda: site.carriage.number,
        "barcode": lambda: site.stored.barcode,
    }
    if name not in values:
        raise LookupError(
            f"{route.label}: the matrix does not know the URL kwarg {name!r}; add it to "
            "tests/security/matrix.py `kwarg_value` (an object of that kind at the given site)"
        )
    return values[name]()


def path_for(route: Route, site: Site) -> str:
    return "/" + KWARG.sub(lambda match: str(kwarg_value(route, match.group(1), site)), route.route)


# ---- API request bodies and query strings from the OpenAPI schema -------------------------------------


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def example(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    """A small value valid for `schema`: required properties only, the least of each bound."""
    schema = _resolve(schema, document)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, document).get("type") != "null"]
            return example(options[0], document)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(props[name], document) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), document) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-11-27T12:00:00+03:00"
    if fmt == "date":
        return "2026-11-27"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "binary":
        return "<file>"
    return "1" * max(int(schema.get("minLength", 1)), 1)


def operation_spec(document: dict[str, Any], route: Route) -> dict[str, Any]:
    path = "/" + KWARG.sub(r"{\1}", route.route)
    return document["paths"][path][route.method.lower()]


# Bodies and query strings a generated example cannot guess (a real code, a value a validator checks).
def overrides(name: str, site: Site) -> dict[str, Any]:
    returned = site.returned.barcode
    table: dict[str, dict[str, Any]] = {
        "shipments_lookup": {"query": {"code": site.stored.barcode}},
        "shipments_search": {"query": {"q": site.stored.barcode}},
        "inbound_carriage_lookup": {"query": {"code": site.carriage.number}},
        "return_zone_scan": {"body": {"code": site.stored.barcode}},
        "shipment_move": {"body": {"cell": "A-01-2"}},
        "inventory_scan_cell": {"body": {"code": site.cell.address, "scan_id": str(uuid.uuid4())}},
        "counter_session_scan": {"body": {"code": site.stored.barcode}},
        "outbound_return_parcel_scan": {"body": {"code": returned}},
        "returns_create": {"body": {"code": returned}},
        # Ids in bodies: the schema's least value (1) names no row on PostgreSQL, whose sequences the
        # test transactions do not reset, and a missing row is a domain 404, not the permission's answer.
        "inbound_acceptance_mark_damaged": {"body": {"shipment_id": site.stored.pk}},
        "outbound_return_carriage_create": {"body": {"partner_id": site.partner.pk}},
        "partner_shipment_cancel": {"body": {"reason": "Клиент отказался"}},
    }
    return table.get(name, {})


def api_request(document: dict[str, Any], route: Route, site: Site) -> dict[str, Any]:
    """`path`, `query`, `body` and `content_type` of a request to `route` for the objects of `site`."""
    spec = operation_spec(document, route)
    query: dict[str, Any] = {}
    for parameter in spec.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        if parameter["name"] == "point":
            query["point"] = site.point.pk
        elif parameter.get("required"):
            query[parameter["name"]] = example(parameter["schema"], document)
    body: Any = None
    content_type = "application/json"
    content = spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example(content["application/json"]["schema"], document)
    elif "multipart/form-data" in content:
        content_type = MULTIPART_CONTENT
        body = {
            key: png_file() if value == "<file>" else value
            for key, value in example(content["multipart/form-data"]["schema"], document).items()
        }
    extra = overrides(route.name, site)
    query.update(extra.get("query", {}))
    if isinstance(body, dict):
        body.update(extra.get("body", {}))
    return {"path": path_for(route, site), "query": query, "body": body, "content_type": content_type}
