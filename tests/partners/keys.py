"""Partner API keys for tests."""

from __future__ import annotations

from pvz.network.models import Partner
from pvz.partners.services import key_create


def partner_key_for(partner: Partner, *, name: str = "test") -> str:
    """A new active key of `partner`; returns its plaintext `pvzk_<prefix>_<secret>`."""
    return key_create(actor=None, partner=partner, name=name).plaintext


def partner_headers(plaintext: str) -> dict[str, str]:
    """Test client kwargs that send `plaintext` as the bearer key."""
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
