"""Why a backup or a restore was refused: one code each, a message a person can act on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class BackupError(DomainError):
    code = ErrorCode.VALIDATION_FAILED
    default_message = _("Резервная копия не создана.")


class ArchiveDamaged(BackupError):
    default_message = _("Архив повреждён или неполон: восстановление невозможно.")


class ArchiveMismatch(BackupError):
    default_message = _("Архив не подходит к этой установке.")


class WrongKey(BackupError):
    default_message = _("Ключ шифрования не подходит к этому архиву.")


class DatabaseNotEmpty(BackupError):
    default_message = _("База данных не пуста. Восстановление в непустую базу — только с --force.")


class RestoreCheckFailed(BackupError):
    default_message = _("Проверка после восстановления не прошла.")
