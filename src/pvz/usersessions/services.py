"""Single active session: recording each signed-in session and ending a user's sessions (a new login
ends the others; password reset, deactivation and suspension end them all)."""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from pvz.audit.context import Actor
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.effects import after_commit
from pvz.usersessions.broadcast import sessions_ended_push
from pvz.usersessions.models import USER_AGENT_MAX, EndReason, UserSession, session_key_hash


def _valid_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def _lock_user(user: Actor) -> None:
    """Two logins of one user at once queue here, so the later one sees (and ends) the earlier one's
    session instead of both surviving. NO KEY UPDATE: rows that merely reference the user (audit records,
    FK checks take KEY SHARE) are not blocked, so this cannot deadlock with the audit chain's lock."""
    get_user_model()._default_manager.select_for_update(no_key=True).filter(pk=user.pk).values_list(
        "pk"
    ).first()


def user_session_start(
    *, user: Actor, session_key: str, ip: str | None = None, user_agent: str = ""
) -> UserSession:
    """Record the session a login has just saved and end every other session of the user."""
    now = clock.now()
    with transaction.atomic():
        _lock_user(user)
        # Records of sessions ended longer ago than a cookie lives can no longer meet their cookie.
        UserSession.objects.filter(
            user_id=user.pk, ended_at__lt=now - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        ).delete()
        record, _ = UserSession.objects.update_or_create(
            key_hash=session_key_hash(session_key),
            defaults={
                "user_id": user.pk,
                "session_key": session_key,
                "created_at": now,
                "ip": _valid_ip(ip),
                "user_agent": user_agent[:USER_AGENT_MAX],
                "ended_at": None,
                "end_reason": "",
            },
        )
        user_sessions_end(user=user, reason=EndReason.NEW_LOGIN, keep_session_key=session_key)
    return record


def user_session_forget(*, session_key: str) -> None:
    """Signing out: the session is gone by the user's own hand, nothing to tell its device."""
    UserSession.objects.filter(key_hash=session_key_hash(session_key), ended_at=None).delete()


def user_sessions_end(*, user: Actor, reason: str, keep_session_key: str | None = None) -> int:
    """End every live session of `user` except `keep_session_key`: delete the Django sessions, remember
    why each ended (for the device's next request), and after commit tell their open websockets. Returns
    how many live sessions ended; records whose session had already expired are just dropped."""
    reason = EndReason(reason)
    now = clock.now()
    with transaction.atomic():
        _lock_user(user)
        rows = UserSession.objects.select_for_update().filter(user_id=user.pk, ended_at=None)
        if keep_session_key:
            rows = rows.exclude(key_hash=session_key_hash(keep_session_key))
        records = list(rows)
        keys = [record.session_key for record in records]
        # Django stamps a session's expiry with its own wall clock, so that is the clock to compare with.
        live_keys = set(
            Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).values_list(
                "session_key", flat=True
            )
        )
        Session.objects.filter(session_key__in=keys).delete()
        ended = [record for record in records if record.session_key in live_keys]
        stale = [record.pk for record in records if record.session_key not in live_keys]
        if stale:
            UserSession.objects.filter(pk__in=stale).delete()
        if not ended:
            return 0
        UserSession.objects.filter(pk__in=[record.pk for record in ended]).update(
            session_key="", ended_at=now, end_reason=reason.value
        )
        audit_record(
            action="auth.sessions_ended", actor=user, details={"reason": reason.value, "count": len(ended)}
        )
        after_commit(sessions_ended_push, [record.key_hash for record in ended], reason=reason.value)
    return len(ended)
