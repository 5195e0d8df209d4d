"""URLs of the password screens (sign-in with a password, «Забыли пароль?», «Безопасность»), included by
pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.account import password_login, password_reset
from pvz.web.account import views as account

urlpatterns: list[URLPattern] = [
    path("login/password/", password_login.login_password, name="login_password"),
    path("password/reset/", password_reset.reset_request, name="password_reset"),
    path("password/reset/confirm/", password_reset.reset_confirm, name="password_reset_confirm"),
    path("account/security/", account.security, name="account_security"),
    path("account/security/code/", account.security_code, name="account_security_code"),
]
