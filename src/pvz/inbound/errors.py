"""Errors of inbound: carriages, acceptance and damage records."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class AcceptanceClosed(DomainError):
    code = ErrorCode.ACCEPTANCE_CLOSED
    default_message = _("Приёмка этой перевозки уже закрыта. Сканы больше не принимаются.")


class NothingToUndo(DomainError):
    code = ErrorCode.NOTHING_TO_UNDO
    default_message = _("Отменять нечего: у вас нет сканов в этой приёмке, которые можно отменить.")


class ArrivalMismatch(DomainError):
    code = ErrorCode.CONFLICT
    default_message = _(
        "Прибытие этой перевозки уже зарегистрировано с другими данными. Проверьте водителя, номер машины "
        "и пломбы."
    )
