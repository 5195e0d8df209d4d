"""A parcel scanned into an issue session in one round trip: the PostgreSQL function `pvz_counter_scan`
(migration 0004, docs/adr/0006-scan-hot-path.md). `services.session_scan_as` turns its JSON answer into
the Python path's result or refusal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from pvz.accounts.models import User
from pvz.accounts.roles import Perm, roles_grantable, roles_with
from pvz.core.sql import fetch_json

_CALL = "SELECT pvz_counter_scan(%s, %s, %s, %s::text[], %s::text[], %s, %s)"
_OPERATE_ROLES = roles_with(Perm.OPERATE)
_OPERATE_GRANTABLE = roles_grantable(Perm.OPERATE)


def available() -> bool:
    """Whether this database has the function (PostgreSQL)."""
    return connection.vendor == "postgresql"


def scan_in_database(*, actor: User, session_id: int, value: str, now: dt.datetime) -> dict[str, Any]:
    """One call in the caller's transaction; `value` is the normalised scan, neither empty nor a command.
    The answer: {"error": code, …}, {"existing": line id} or the new line with what the API shows of it."""
    return fetch_json(
        _CALL,
        [session_id, actor.pk, bool(actor.platform_roles), _OPERATE_ROLES, _OPERATE_GRANTABLE, value, now],
    )
