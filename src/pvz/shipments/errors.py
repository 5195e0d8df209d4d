from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode, InvalidTransition

__all__ = [
    "AlreadyExtended",
    "CellFull",
    "CellTooSmall",
    "IdempotencyMismatch",
    "InvalidTransition",
    "StorageExpired",
    "StorageNotExpired",
]


class IdempotencyMismatch(DomainError):
    code = ErrorCode.IDEMPOTENCY_MISMATCH
    default_message = _("Этот ключ идемпотентности уже использован для другого действия.")


class CellFull(DomainError):
    code = ErrorCode.CELL_FULL
    default_message = _("Ячейка заполнена. Выберите другую ячейку.")


class CellTooSmall(DomainError):
    code = ErrorCode.CELL_TOO_SMALL
    default_message = _("Отправление не помещается в эту ячейку. Выберите ячейку побольше.")


class AlreadyExtended(DomainError):
    code = ErrorCode.ALREADY_EXTENDED
    default_message = _("Срок хранения этого отправления уже продлевали. Продлить можно только один раз.")


class StorageExpired(DomainError):
    code = ErrorCode.STORAGE_EXPIRED
    default_message = _("Срок хранения уже истёк: продлить его нельзя. Отправление уходит в возврат.")


class StorageNotExpired(DomainError):
    code = ErrorCode.STORAGE_NOT_EXPIRED
    default_message = _("Срок хранения ещё не истёк: отправление остаётся на хранении. Верните его в ячейку.")
