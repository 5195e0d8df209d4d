"""Expire overdue shipments now, in this process, without the task queue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pvz.shipments.services import shipments_expire_overdue


class Command(BaseCommand):
    help = "Перевести отправления с истёкшим сроком хранения в статус «Срок хранения истёк» прямо сейчас."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = shipments_expire_overdue()
        self.stdout.write(_("Срок хранения истёк у отправлений: %(count)d") % {"count": changed})
