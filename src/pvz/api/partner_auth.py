"""How partners' systems prove who they are on the partner API (/api/v1/partner/...): an API key
`pvzk_<prefix>_<secret>` in `Authorization: Bearer …` or in `X-Api-Key: …`. A missing, wrong, revoked
or expired key is 401 NOT_AUTHENTICATED; a user's session counts for nothing here. Handlers see only
their key's partner's data (another partner's carriage or shipment is 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.security import HttpBearer

from pvz.network.models import Partner
from pvz.partners.models import PartnerApiKey
from pvz.partners.services import key_authenticate

Handler = TypeVar("Handler", bound=Callable[..., Any])

ACCESS_PARTNER = "partner"
API_KEY_HEADER = "X-Api-Key"
_CACHED = "_pvz_partner_key"


def presented_key(request: HttpRequest) -> str | None:
    """The key text the request carries, if any (not yet checked)."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    other = request.headers.get(API_KEY_HEADER, "").strip()
    return other or None


def request_partner_key(request: HttpRequest) -> PartnerApiKey | None:
    """The active key the request authenticates with, checked once per request."""
    if hasattr(request, _CACHED):
        cached: PartnerApiKey | None = getattr(request, _CACHED)
        return cached
    text = presented_key(request)
    key = key_authenticate(text) if text else None
    setattr(request, _CACHED, key)
    return key


class PartnerKeyAuth(HttpBearer):
    """Bearer auth by partner API key (`X-Api-Key` is accepted too); `request.auth` is the key."""

    openapi_description = (
        "Partner API key `pvzk_<prefix>_<secret>` as `Authorization: Bearer <key>` (or in the "
        "`X-Api-Key` header)."
    )

    def __call__(self, request: HttpRequest) -> PartnerApiKey | None:
        return request_partner_key(request)

    def authenticate(self, request: HttpRequest, token: str) -> PartnerApiKey | None:
        return key_authenticate(token)


partner_auth = PartnerKeyAuth()


def partner_key_of(request: HttpRequest) -> PartnerApiKey:
    """The key the request authenticated with (the router's auth has refused anything else)."""
    key: PartnerApiKey = request.auth  # type: ignore[attr-defined]
    return key


def partner_of(request: HttpRequest) -> Partner:
    """The partner whose key authenticated the request."""
    return partner_key_of(request).partner


def requires_partner(handler: Handler) -> Handler:
    """Declares that a handler is for partners' systems: a valid partner API key (else 401, also for a
    user's session), and only that partner's objects (another partner's: 404). Records the access only;
    put it right above the `def`, under `@router.…` and `@idempotent`."""
    handler.access = ACCESS_PARTNER  # type: ignore[attr-defined]
    return handler
