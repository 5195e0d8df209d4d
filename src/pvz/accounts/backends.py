"""Django authentication by phone and one-time SMS code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from pvz.accounts.models import User
from pvz.accounts.services import login_code_verify


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
