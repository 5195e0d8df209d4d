"""Counter endpoints: find and verify the customer, then an issue session (scan, inspect, refuse, ID check,
payment, bags, finish, cancel). One module per use case (customers, sessions, lines), mounted on one router
here; the bodies are in `schemas`, their rendering in `rendering`.

Handlers parse, check that the caller holds *operate* at the session's point, call one service or selector
and render. Another point's session is 404, never 403; every endpoint needs *operate* (customer data is
issuing work), and every state change takes an `Idempotency-Key`.
"""

from ninja import Router

from pvz.api.counter import customers, lines, sessions
from pvz.api.counter.rendering import sms_sent_out
from pvz.api.counter.schemas import SmsSentOut

router = Router(tags=["counter"])
router.add_router("", customers.router)
router.add_router("", sessions.router)
router.add_router("", lines.router)

__all__ = ["SmsSentOut", "router", "sms_sent_out"]
