"""API endpoints for inbound."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["inbound"])
