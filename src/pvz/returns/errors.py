"""Errors of customer returns."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class ReturnWindowClosed(DomainError):
    code = ErrorCode.RETURN_WINDOW_CLOSED
    default_message = _("Срок возврата этого отправления истёк: принять возврат нельзя.")


class WrongCustomer(DomainError):
    code = ErrorCode.WRONG_CUSTOMER
    default_message = _("Это отправление выдано другому клиенту: этот клиент не может его вернуть.")


class NeverIssued(DomainError):
    """INVALID_TRANSITION: only an ISSUED parcel can be returned; the message says what it is instead."""

    code = ErrorCode.INVALID_TRANSITION
    default_message = _("Вернуть можно только выданное отправление.")
