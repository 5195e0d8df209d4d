"""`python -m pvz restore ARCHIVE`: into an empty database, checked against the archive's manifest."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pvz.backups.errors import BackupError
from pvz.backups.services import backup_restore


class Command(BaseCommand):
    help = "Восстановление из резервной копии в пустую базу данных, с проверкой строк и журнала аудита."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="Файл архива или s3://корзина/ключ.")
        parser.add_argument("--key", help="Ключ Fernet зашифрованного архива (по умолчанию PVZ_BACKUP_KEY).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Восстановить поверх непустой базы (её данные будут заменены).",
        )

    def handle(
        self, *args: Any, archive: str, key: str | None = None, force: bool = False, **options: Any
    ) -> None:
        try:
            report = backup_restore(archive, key=key, force=force)
        except BackupError as exc:
            details = "; ".join(
                str(v) if not isinstance(v, list) else ", ".join(map(str, v)) for v in exc.details.values()
            )
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        self.stdout.write(
            _(
                "Восстановлено из копии от %(created)s: таблиц %(tables)s, строк %(rows)s, файлов %(media)s; "
                "журнал аудита цел (%(audit)s записей)."
            )
            % {
                "created": report.manifest["created_at"],
                "tables": report.tables,
                "rows": report.rows,
                "media": report.media_files,
                "audit": report.audit_records,
            }
        )
