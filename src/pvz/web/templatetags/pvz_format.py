"""How money, weights and customers' phones are shown to staff."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from pvz.core.phone import phone_masked

register = template.Library()

NBSP = "\u00a0"


@register.filter
def rub(kopecks: int | None) -> str:
    """1234 rubles 50 kopecks → "1 234,50 ₽" (no-break spaces, so the sum never wraps)."""
    if kopecks is None:
        return ""
    sign = "−" if kopecks < 0 else ""
    rubles, kop = divmod(abs(int(kopecks)), 100)
    grouped = f"{rubles:,}".replace(",", NBSP)
    return f"{sign}{grouped},{kop:02d}{NBSP}₽"


@register.filter
def grams(weight_g: int | None) -> str:
    """Under a kilogram in grams, from there in kilograms with up to three decimals."""
    if weight_g is None:
        return ""
    if weight_g < 1000:
        return _("%(n)s г") % {"n": weight_g}
    kilos = f"{weight_g / 1000:.3f}".rstrip("0").rstrip(".").replace(".", ",")
    return _("%(n)s кг") % {"n": kilos}


@register.filter
def masked_phone(phone: str | None) -> str:
    return phone_masked(phone)


@register.filter
def from_iso(value: str | None) -> dt.datetime | None:
    """A time kept as ISO 8601 text in the point's offset (in a stored act) as that local wall-clock time,
    for the `date` filter: naive, so that the template does not convert it to the server's zone."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None
