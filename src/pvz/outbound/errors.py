"""Errors of return carriages: scanning parcels and totes in, sealing, and the hand-over."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class WrongPartner(DomainError):
    code = ErrorCode.WRONG_PARTNER
    default_message = _("Это отправление другого партнёра: в эту перевозку его не кладут. Отложите его.")


class AlreadyIssued(DomainError):
    code = ErrorCode.ALREADY_ISSUED
    default_message = _("Это отправление выдано клиенту: вернуть его партнёру нельзя.")


class ToteSealed(DomainError):
    code = ErrorCode.TOTE_SEALED
    default_message = _("Тара уже опломбирована: в неё больше ничего не кладут. Отсканируйте другую тару.")


class CarriageClosed(DomainError):
    code = ErrorCode.CARRIAGE_CLOSED
    default_message = _("Эта перевозка уже передана курьеру и закрыта.")


class HandoverBlocked(DomainError):
    code = ErrorCode.HANDOVER_BLOCKED
    default_message = _("Передать курьеру нельзя: исправьте перечисленное и повторите. Ничего не изменилось.")


class CourierCodeInvalid(DomainError):
    code = ErrorCode.CODE_INVALID
    default_message = _("Код курьера неверный. Попросите курьера назвать код ещё раз.")


class CourierCodeExhausted(DomainError):
    code = ErrorCode.CODE_EXHAUSTED
    default_message = _(
        "Код курьера введён неверно слишком много раз и больше не действует. Подтвердите передачу подписью."
    )
