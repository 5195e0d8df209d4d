"""Inbound endpoints: planned carriages, arrival, acceptance by scan (scan, undo, damage, close) and acts.
One module per use case (carriages, totes, acceptances), mounted on one router here; the bodies are in
`schemas`, their rendering in `rendering`, the access checks in `access`.

Handlers parse, check the caller's permission at the carriage's point, call one service or selector and
render. Another point's carriage or acceptance is 404, never 403; writes need the *operate* permission.
"""

from ninja import Router

from pvz.api.inbound import acceptances, carriages, totes

router = Router(tags=["inbound"])
router.add_router("", carriages.router)
router.add_router("", totes.router)
router.add_router("", acceptances.router)

__all__ = ["router"]
