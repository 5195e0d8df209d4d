"""`python -m pvz backup`: one archive of the database, the media files and a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pvz.backups.errors import BackupError
from pvz.backups.services import backup_make, backup_prune


class Command(BaseCommand):
    help = "Резервная копия: база данных, файлы и манифест с контрольными суммами — в один архив."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="Каталог для архива (по умолчанию PVZ_BACKUP_DIR).")
        parser.add_argument("--key", help="Ключ Fernet для шифрования (по умолчанию PVZ_BACKUP_KEY).")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="После копии удалить старые по схеме 7 дней / 4 недели / 12 месяцев.",
        )

    def handle(
        self, *args: Any, dir: str | None = None, key: str | None = None, prune: bool = False, **options: Any
    ) -> None:
        try:
            backup = backup_make(directory=Path(dir) if dir else None, key=key)
        except BackupError as exc:
            raise CommandError(f"{exc.message}: {exc.details.get('reason', '')}") from exc
        self.stdout.write(
            _("Резервная копия готова: %(path)s (%(size)s байт, SHA-256 %(sha)s)")
            % {"path": backup.location, "size": backup.size_bytes, "sha": backup.sha256}
        )
        if prune:
            for pruned in backup_prune():
                self.stdout.write(_("Удалена по сроку хранения: %(path)s") % {"path": pruned.location})
