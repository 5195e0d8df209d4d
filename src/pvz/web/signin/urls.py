"""URLs of signing in, choosing the point and the demo SMS outbox, included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.signin import outbox, points
from pvz.web.signin import views as auth

urlpatterns: list[URLPattern] = [
    path("login/", auth.login_phone, name="login"),
    path("login/code/", auth.login_code, name="login_code"),
    path("logout/", auth.logout_view, name="logout"),
    path("points/", points.pick_point, name="pick_point"),
    path("dev/sms-outbox/", outbox.sms_outbox, name="sms_outbox"),
]
