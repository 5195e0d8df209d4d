"""The customer's pickup code `<pickup number>*<4 digits>` (Ozon style).

The 4 digits are an HMAC of the pickup number keyed with the secret key, so the code can be checked
without storing it. They do not rotate yet: rotation and verification at the counter come with issuing.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from pvz.shipments.models import Customer


def pickup_code_suffix(pickup_number: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"pickup:{pickup_number}".encode(), hashlib.sha256)
    return f"{int.from_bytes(digest.digest()[:4], 'big') % 10000:04d}"


def pickup_code_for(customer: Customer) -> str:
    return f"{customer.pickup_number}*{pickup_code_suffix(customer.pickup_number)}"
