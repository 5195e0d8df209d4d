"""Who is calling, in one query: the session, its signed-in user, the user's platform roles and whether the
account is suspended.

Django would read them one by one (the session row, then the user, then the platform roles, then the
suspension: four queries before a view runs). `PrincipalSessionMiddleware` replaces SessionMiddleware and
reads all four in one statement, joining the session to its user through the live `UserSession` row that
every sign-in records. It then checks what `django.contrib.auth.get_user` would: the session names that
user and a listed backend, the account is active, and the session's hash matches the user's current one.
When everything agrees the user is handed to AuthenticationMiddleware ready made (`request._cached_user`);
when anything differs (no UserSession row, a hash made with an old secret, …) nothing is handed over and
Django's own path decides with its own queries, so the shortcut can only agree with Django, never differ.
Nothing is cached between requests: an ended session, a suspension or a deactivation counts at the next
request of any process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import PLATFORM_ROLES
from pvz.anomalies.models import Suspension
from pvz.core.sql import db_datetime, fetch_one
from pvz.usersessions.models import UserSession, session_key_hash

# What the middleware leaves on the request for SuspendedAccountMiddleware (None: not known, ask).
SUSPENDED_ATTR = "pvz_suspended"


@dataclass(frozen=True)
class _Statement:
    sql: str
    user_fields: tuple[str, ...]
    roles: tuple[str, ...]


@cache
def _statement() -> _Statement:
    quote = connection.ops.quote_name
    fields = tuple(f.attname for f in User._meta.concrete_fields)
    columns = ", ".join(f"u.{quote(f.column)}" for f in User._meta.concrete_fields)
    roles = tuple(sorted(PLATFORM_ROLES))
    membership = quote(Membership._meta.db_table)
    role_checks = "".join(
        f", EXISTS (SELECT 1 FROM {membership} m WHERE m.user_id = u.id AND m.point_id IS NULL"  # noqa: S608
        f" AND m.is_active AND m.role = %s)"
        for _ in roles
    )
    sql = (
        f"SELECT s.session_data, {columns}, "  # noqa: S608 (models' tables and columns, no input)
        f"EXISTS (SELECT 1 FROM {quote(Suspension._meta.db_table)} x"
        f" WHERE x.user_id = u.id AND x.lifted_at IS NULL){role_checks} "
        f"FROM {quote(Session._meta.db_table)} s "
        f"LEFT JOIN {quote(UserSession._meta.db_table)} us ON us.key_hash = %s AND us.ended_at IS NULL "
        f"LEFT JOIN {quote(User._meta.db_table)} u ON u.id = us.user_id "
        "WHERE s.session_key = %s AND s.expire_date > %s"
    )
    return _Statement(sql, fields, roles)


def principal_load(request: HttpRequest, session: SessionBase) -> None:
    """Fill `session` from the database and, when the session's user checks out, hand it (with its
    platform roles and suspension) to the request."""
    key = session.session_key
    if key is None:
        return  # no cookie, or not a well-formed key: an empty session, as Django would load
    statement = _statement()
    params = [*statement.roles, session_key_hash(key), key, db_datetime(timezone.now())]
    row = fetch_one(statement.sql, params)
    if row is None:
        # What SessionStore.load does for a missing or expired session: forget the key, start empty.
        session._session_key = None
        session._session_cache = {}  # type: ignore[attr-defined]
        return
    data = session.decode(row[0])
    session._session_cache = data  # type: ignore[attr-defined]
    n = len(statement.user_fields)
    user_values, flags = row[1 : 1 + n], row[1 + n :]
    user = _verified_user(data, user_values, statement.user_fields)
    if user is None:
        return  # Django's own get_user decides, with its own queries
    user.__dict__["platform_roles"] = frozenset(
        role for role, held in zip(statement.roles, flags[1:], strict=True) if held
    )
    request._cached_user = user  # type: ignore[attr-defined]  # what AuthenticationMiddleware reads
    setattr(request, SUSPENDED_ATTR, bool(flags[0]))


def _verified_user(data: dict[str, Any], values: tuple[Any, ...], fields: tuple[str, ...]) -> User | None:
    """The user of the row, when `django.contrib.auth.get_user` would return exactly that user."""
    values_by_field = dict(zip(fields, values, strict=True))
    user_id = values_by_field["id"]
    if user_id is None or str(data.get(SESSION_KEY)) != str(user_id):
        return None
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    if not values_by_field["is_active"]:
        return None  # the backends' get_user refuses inactive users
    user = User.from_db(connection.alias, list(fields), list(values))
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None  # a hash made with an old secret, or a changed password: Django's path handles it
    return user


class PrincipalSessionMiddleware(SessionMiddleware):
    """SessionMiddleware that loads the session together with its user (see the module docstring)."""

    def process_request(self, request: HttpRequest) -> None:
        session = self.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        request.session = session
        principal_load(request, session)
