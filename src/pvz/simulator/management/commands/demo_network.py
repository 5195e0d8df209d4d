"""Load the demo network (idempotent) and print where to log in and as whom."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse
from django.utils.translation import gettext as _

from pvz.simulator.demo import demo_network_load


class Command(BaseCommand):
    help = "Демо-сеть: партнёры, две точки, сотрудники всех ролей, перевозки и заказы на полках."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Адрес, по которому открыт сервер."
        )

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        logins = demo_network_load()
        self.stdout.write(_("Демо-сеть готова: %(url)s") % {"url": url})
        outbox = url.rstrip("/") + reverse("web:sms_outbox")
        self.stdout.write(
            _("Вход по номеру телефона; код из SMS виден в журнале сервера и здесь: %(outbox)s")
            % {"outbox": outbox}
        )
        rows = [(_("Телефон"), _("Имя"), _("Роль"), _("Точки"))]
        rows += [
            (login.phone, login.full_name, login.role, ", ".join(login.points) or _("все точки"))
            for login in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            self.stdout.write(
                "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
            )
