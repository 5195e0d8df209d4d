"""Reads about users' sessions."""

from __future__ import annotations

from pvz.usersessions.models import UserSession, session_key_hash


def session_end_reason(*, session_key: str) -> str | None:
    """Why the session with this key was ended by `user_sessions_end`, or None when it was not (never
    existed, signed out, expired, or its record is gone)."""
    return (
        UserSession.objects.filter(key_hash=session_key_hash(session_key), ended_at__isnull=False)
        .values_list("end_reason", flat=True)
        .first()
    )
