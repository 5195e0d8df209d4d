"""Errors of points: deliveries to a point that is closing or closed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class PointClosing(DomainError):
    code = ErrorCode.POINT_CLOSING
    default_message = _(
        "Точка закрывается и не принимает новые поставки. Направьте отправления на другую точку."
    )


class PointClosed(DomainError):
    code = ErrorCode.POINT_CLOSED
    default_message = _("Точка закрыта и не принимает поставки. Направьте отправления на другую точку.")
