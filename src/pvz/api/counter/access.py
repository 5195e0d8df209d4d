"""How the counter endpoints find the issue session their path names: one of the caller's points (another
point's session is 404, never 403) with *operate* there, checked with the session in two index probes."""

from __future__ import annotations

from pvz.api.permissions import Lookup
from pvz.counter import selectors

SESSION = Lookup(
    "session_id",
    lambda user, session_id, perm: selectors.session_get(user=user, session_id=session_id, perm=perm),
    checks_perm=True,
)
