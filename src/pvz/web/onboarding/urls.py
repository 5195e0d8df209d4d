"""URLs of opening applications (the public form and the platform admins' review), included by
pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.onboarding import views as onboarding

urlpatterns: list[URLPattern] = [
    path("apply/", onboarding.apply, name="apply"),
    path("apply/sent/", onboarding.apply_done, name="apply_done"),
    path("onboarding/applications/", onboarding.applications_list, name="onboarding_list"),
    path(
        "onboarding/applications/<int:application_id>/",
        onboarding.application_detail,
        name="onboarding_detail",
    ),
    path(
        "onboarding/applications/<int:application_id>/approve/",
        onboarding.application_approve,
        name="onboarding_approve",
    ),
    path(
        "onboarding/applications/<int:application_id>/reject/",
        onboarding.application_reject,
        name="onboarding_reject",
    ),
    path(
        "onboarding/photos/<int:application_photo_id>/",
        onboarding.application_photo,
        name="onboarding_photo",
    ),
]
