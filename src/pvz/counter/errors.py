"""Errors of issuing at the counter: verifying the customer, scanning parcels into a session, finishing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class CodeInvalid(DomainError):
    code = ErrorCode.CODE_INVALID
    default_message = _("Код получения неверный. Попросите клиента показать код ещё раз.")


class CodeExpired(DomainError):
    code = ErrorCode.CODE_EXPIRED
    default_message = _("Срок действия кода истёк. Попросите клиента обновить QR-код или отправьте SMS-код.")


class CodeExhausted(DomainError):
    code = ErrorCode.CODE_EXHAUSTED
    default_message = _(
        "SMS-код введён неверно слишком много раз и больше не действует. Отправьте новый код."
    )


class WrongCustomer(DomainError):
    code = ErrorCode.WRONG_CUSTOMER
    default_message = _("Это отправление другого клиента. Отложите его и не выдавайте.")


class StorageExpired(DomainError):
    code = ErrorCode.STORAGE_EXPIRED
    default_message = _("Срок хранения отправления истёк: выдать его нельзя. Отложите его на возврат.")


class AlreadyIssued(DomainError):
    code = ErrorCode.ALREADY_ISSUED
    default_message = _("Это отправление уже выдано.")


class VerificationRequired(DomainError):
    code = ErrorCode.VERIFICATION_REQUIRED
    default_message = _(
        "Клиент не подтверждён. Отсканируйте код получения или QR-код клиента, либо отправьте SMS-код."
    )


class IdCheckRequired(DomainError):
    code = ErrorCode.ID_CHECK_REQUIRED
    default_message = _(
        "Для этого отправления нужно проверить документ клиента и записать его тип и 4 цифры."
    )


class PaymentRequired(DomainError):
    code = ErrorCode.PAYMENT_REQUIRED
    default_message = _("Отправление не оплачено. Примите оплату картой или наличными и отметьте её.")


class TryOnNotAllowed(DomainError):
    code = ErrorCode.TRY_ON_NOT_ALLOWED
    default_message = _("Партнёр не разрешает примерку этого отправления: клиент может только осмотреть его.")


class PartialRefusalNotAllowed(DomainError):
    code = ErrorCode.PARTIAL_REFUSAL_NOT_ALLOWED
    default_message = _(
        "Заказ выдаётся только целиком: клиент берёт все его отправления или отказывается от всех."
    )


class SessionClosed(DomainError):
    code = ErrorCode.SESSION_CLOSED
    default_message = _("Эта выдача уже завершена или отменена. Откройте новую выдачу.")
