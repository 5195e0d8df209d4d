"""The lifecycle of a point application as data (`pvz.core.lifecycle`): reviewed once, final after that."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.lifecycle import Lifecycle
from pvz.onboarding.models import ApplicationStatus

A = ApplicationStatus

APPLICATION: Lifecycle[ApplicationStatus] = Lifecycle(
    "application",
    ApplicationStatus,
    {A.PENDING: {A.APPROVED, A.REJECTED}, A.APPROVED: set(), A.REJECTED: set()},
    message=_("Заявка уже рассмотрена."),
)
