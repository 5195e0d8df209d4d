"""Write the OpenAPI schema to docs/api/openapi.json, or with --check fail when the committed file drifted."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pvz.api.openapi import OPENAPI_PATH, openapi_document


class Command(BaseCommand):
    help = "Экспорт схемы OpenAPI в docs/api/openapi.json (--check: только сверить с кодом)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Ничего не записывать; завершиться с ошибкой, если файл отличается от схемы из кода.",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        generated = openapi_document()
        committed = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else None
        if check:
            if committed != generated:
                raise CommandError(
                    _(
                        "%(path)s не совпадает со схемой, которую генерирует код. "
                        "Выполните `python manage.py export_openapi` и закоммитьте файл."
                    )
                    % {"path": OPENAPI_PATH}
                )
            self.stdout.write(_("%(path)s совпадает с кодом.") % {"path": OPENAPI_PATH})
            return
        OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
        OPENAPI_PATH.write_text(generated, encoding="utf-8")
        self.stdout.write(_("Схема записана в %(path)s.") % {"path": OPENAPI_PATH})
