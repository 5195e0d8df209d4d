"""The signed-in sessions of each user, so a new login can end the others and the old device can be
told why it was signed out."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER_AGENT_MAX = 300


def session_key_hash(session_key: str) -> str:
    """sha256 hex of a session key: what the table keeps once the session has ended, and what names the
    session's websocket group, so neither holds a usable key."""
    return hashlib.sha256(session_key.encode()).hexdigest()


class EndReason(models.TextChoices):
    NEW_LOGIN = "new_login", _("вход на другом устройстве")
    PASSWORD_RESET = "password_reset", _("сброс пароля")
    DEACTIVATED = "deactivated", _("учётная запись отключена")
    SUSPENDED = "suspended", _("учётная запись приостановлена")


class UserSession(models.Model):
    """One Django session of a signed-in user. While live, `session_key` is kept (as secret as the
    django_session row itself) so the session can be ended; ending clears it and keeps only the hash,
    the reason and the time, until the old cookie has expired anyway."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    session_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_ended_idx")]

    def __str__(self) -> str:
        return f"session of user {self.user_id} ({self.end_reason or 'live'})"
