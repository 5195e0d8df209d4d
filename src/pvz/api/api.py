"""The HTTP API, version 1: one NinjaAPI with session auth, the shared error body, and its routers.

Handlers parse input, call one selector or service, and render; business rules live in the domain apps.
The OpenAPI UI is served at /api/docs (see `pvz.api.docs`); the schema is committed as
docs/api/openapi.json and checked for drift by `manage.py export_openapi --check`.
"""

from __future__ import annotations

from ninja import NinjaAPI

from pvz.api import (
    account,
    anomalies,
    audit,
    cells,
    counter,
    factors,
    fallback,
    inbound,
    inventory,
    me,
    notifications,
    onboarding,
    outbound,
    partner,
    partner_manifests,
    placement,
    returnflow,
    returns,
    shipments,
    staff,
    storage,
)
from pvz.api.auth import session_auth
from pvz.api.errors import register_error_handlers

api = NinjaAPI(
    title="OpenPVZ API",
    version="1",
    description=(
        "API of OpenPVZ, the platform that runs parcel pickup points (ПВЗ). Every error has the body "
        '`{"error": {"code", "message", "details", "request_id"}}` with a stable `code`; `request_id` is '
        "the answer's `X-Request-ID` header (sent by the client or the proxy when it is 1–100 letters, "
        "digits, `.`, `_`, `:` or `-`, else made by the server), which support finds in the server's logs. "
        "Money is in kopecks (integers), weights in grams, times in ISO 8601 with offset."
    ),
    urls_namespace="api-v1",
    docs_url=None,
    auth=session_auth,
)
register_error_handlers(api)
api.add_router("", me.router)
api.add_router("", account.router)
api.add_router("", shipments.router)
api.add_router("", storage.router)
api.add_router("", cells.router)
api.add_router("", inbound.router)
api.add_router("", placement.router)
api.add_router("", inventory.router)
api.add_router("", counter.router)
api.add_router("", returns.router)
api.add_router("", returnflow.router)
api.add_router("", outbound.router)
api.add_router("", audit.router)
api.add_router("", staff.router)
api.add_router("", factors.router)
api.add_router("", onboarding.router)
api.add_router("", anomalies.router)
api.add_router("", notifications.router)
# Before the partner router: its `carriages/{number}` would otherwise catch `carriages/csv`.
api.add_router("/partner", partner_manifests.router)
api.add_router("/partner", partner.router)
# Last, so that it only catches what no real endpoint matched.
api.add_router("", fallback.router)
