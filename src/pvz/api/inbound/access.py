"""How the inbound endpoints find the carriage or acceptance their path names (404 for another point's; the
permission is checked at its point by `@requires`), and the errors reads and writes answer with."""

from __future__ import annotations

from pvz.api.permissions import Lookup
from pvz.inbound import selectors

# A carriage or an acceptance named in the path: of one of the caller's points (else 404), the permission
# checked at its point by `@requires(…, via=…)`.
CARRIAGE = Lookup(
    "carriage_id", lambda user, carriage_id: selectors.carriage_get(user=user, carriage_id=carriage_id)
)
ACCEPTANCE = Lookup(
    "acceptance_id",
    lambda user, acceptance_id: selectors.acceptance_get(user=user, acceptance_id=acceptance_id),
    point=lambda acceptance: acceptance.carriage.point,
)
