"""URLs of the second-factor screens, included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.factors import views as factors

REMOVE_TOTP, REMOVE_EMAIL = {"method": "totp"}, {"method": "email"}

urlpatterns: list[URLPattern] = [
    path("login/second-factor/", factors.login_second_factor, name="login_second_factor"),
    path("login/second-factor/enrol/", factors.login_second_factor_enrol, name="login_second_factor_enrol"),
    path("login/second-factor/enrol/qr.svg", factors.login_second_factor_qr, name="login_second_factor_qr"),
    path("account/factors/", factors.factor_enrol, name="factor_enrol"),
    path("account/factors/qr.svg", factors.factor_totp_qr, name="factor_totp_qr"),
    path("account/factors/backup-codes/", factors.factor_backup_codes, name="factor_backup_codes"),
    path(
        "account/factors/totp/remove/", factors.factor_remove, {"method": "totp"}, name="factor_remove_totp"
    ),
    path(
        "account/factors/email/remove/",
        factors.factor_remove,
        {"method": "email"},
        name="factor_remove_email",
    ),
    path("points/security/", factors.point_security, name="point_security"),
]
