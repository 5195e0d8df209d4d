"""`python -m pvz vapid_keys`: print a new VAPID key pair for Web Push, as environment lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pvz.notifications.push import vapid_keys_generate


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push (PVZ_VAPID_PRIVATE_KEY / PVZ_VAPID_PUBLIC_KEY)."

    def handle(self, *args: Any, **options: Any) -> None:
        keys = vapid_keys_generate()
        self.stdout.write(f"PVZ_VAPID_PRIVATE_KEY={keys.private_key}")
        self.stdout.write(f"PVZ_VAPID_PUBLIC_KEY={keys.public_key}")
