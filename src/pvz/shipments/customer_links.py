"""The signed link to a customer's page (`/c/<link>/`: their pickup code and rotating QR), sent in every
pickup message; it names the customer by pickup number, signed, and keeps working for 30 days. The salt
keeps its old name so links already sent stay valid."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from pvz.shipments.models import Customer

LINK_SALT = "counter-customer-link"
# The link in the "ready" SMS keeps working this long (longer than any storage period with extension).
LINK_MAX_AGE = dt.timedelta(days=30)


def customer_link_sign(customer: Customer) -> str:
    """The opaque part of the customer page URL `/c/<link>/`: the pickup number, signed."""
    return signing.dumps(customer.pickup_number, salt=LINK_SALT)


def customer_link_customer(link: str) -> Customer | None:
    """The customer of a signed page link, or None when it is forged, older than 30 days or unknown."""
    try:
        number = signing.loads(link, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return Customer.objects.filter(pickup_number=str(number), anonymized_at__isnull=True).first()


def customer_page_url(customer: Customer) -> str:
    """The customer page's address for messages: absolute when `PVZ_PUBLIC_URL` is configured (e.g.
    https://pvz.example.ru), else the path alone."""
    path = reverse("web:customer_qr", args=[customer_link_sign(customer)])
    return f"{settings.PVZ_PUBLIC_URL.rstrip('/')}{path}"
