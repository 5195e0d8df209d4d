"""Django authentication by phone and one-time SMS code, or by phone and password.

These are the only backends: Django's ModelBackend is not listed, because its username + password sign-in
would check a password with no lockout, no second factor and no single-session rule. (Permissions come
from `User.has_perm`, not from a backend.)"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from pvz.accounts.models import User
from pvz.accounts.passwords import password_login_verify
from pvz.accounts.services import login_code_verify
from pvz.audit.context import client_ip


class PhoneCodeBackend(BaseBackend):
    """`authenticate(request, phone=..., code=...)`. A refused code raises its DomainError instead of
    returning None, so the login view can tell the person whether to retype or ask for a new code."""

    def authenticate(
        self,
        request: HttpRequest | None,
        phone: str | None = None,
        code: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if phone is None or code is None:
            return None  # other credentials (the admin's password form) belong to other backends
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        return login_code_verify(phone=phone, code=code, ip=ip)

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()


class PhonePasswordBackend(BaseBackend):
    """`authenticate(request, phone=..., password=...)` for a user who has set a password. A refusal raises
    PasswordInvalid (or LockedOut) instead of returning None."""

    def authenticate(
        self,
        request: HttpRequest | None,
        phone: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if phone is None or password is None:
            return None
        ip = client_ip(request) if request is not None else None
        return password_login_verify(phone=phone, password=password, ip=ip)

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
