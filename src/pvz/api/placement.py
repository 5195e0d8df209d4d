"""API endpoints for placement."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["placement"])
