"""What a customer shows at the counter: the Ozon-style pickup code and our rotating QR token (the signed
link to the customer page that displays both is `shipments.customer_links`).

QR token: `PVZQR-<pickup number>-<minted, unix seconds>-<20 hex digits of HMAC-SHA256>`, the HMAC keyed
from the secret key with the salt "counter-qr". Only digits, Latin letters and "-", so it survives a
scanner typing with the Russian layout (fixed by `normalize_scan`) and Caps Lock (compared upper-cased).
It is valid while `0 <= now - minted <= 300 s`, and up to 30 s "from the future" (the phone's clock may run
ahead of ours); older is CODE_EXPIRED, later or tampered is CODE_INVALID.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import NotFound
from pvz.counter.errors import CodeExpired, CodeInvalid
from pvz.shipments.models import Customer
from pvz.shipments.pickup_codes import pickup_code_suffix

QR_PREFIX = "PVZQR"
QR_SALT = "counter-qr"
QR_LIFETIME = dt.timedelta(seconds=300)
QR_FUTURE_TOLERANCE = dt.timedelta(seconds=30)
# The customer page shows a fresh token this often, well inside its lifetime.
QR_REFRESH_SECONDS = 60
_SIGNATURE_HEX = 20
_QR = re.compile(
    rf"^{QR_PREFIX}-(?P<number>\d{{1,20}})-(?P<minted>\d{{1,12}})-(?P<sig>[0-9A-F]{{{_SIGNATURE_HEX}}})$"
)
_PICKUP_CODE = re.compile(r"^(?P<number>\d{8,})\*(?P<suffix>\d{4})$")


@dataclass(frozen=True)
class QrToken:
    pickup_number: str
    minted_at: dt.datetime


def _qr_signature(pickup_number: str, minted: int) -> str:
    digest = salted_hmac(QR_SALT, f"{pickup_number}:{minted}", algorithm="sha256").hexdigest()
    return digest[:_SIGNATURE_HEX].upper()


def qr_token_mint(*, customer: Customer, now: dt.datetime) -> str:
    """A token for `customer`, minted at `now` (whole seconds)."""
    minted = int(now.timestamp())
    return f"{QR_PREFIX}-{customer.pickup_number}-{minted}-{_qr_signature(customer.pickup_number, minted)}"


def qr_token_verify(*, token: str, now: dt.datetime) -> QrToken:
    """The pickup number a genuine, current token carries; CODE_INVALID if tampered, malformed or minted
    more than 30 s ahead of `now`, CODE_EXPIRED once more than 300 s old."""
    match = _QR.match(token.strip().upper())
    if match is None:
        raise CodeInvalid(_("Это не QR-код клиента OpenPVZ."), details={"kind": "qr"})
    number, minted = match["number"], int(match["minted"])
    if not constant_time_compare(match["sig"], _qr_signature(number, minted)):
        raise CodeInvalid(_("QR-код клиента не прошёл проверку подлинности."), details={"kind": "qr"})
    minted_at = dt.datetime.fromtimestamp(minted, tz=dt.UTC)
    if minted_at - now > QR_FUTURE_TOLERANCE:
        raise CodeInvalid(
            _("QR-код выпущен в будущем: проверьте время на телефоне клиента."), details={"kind": "qr"}
        )
    if now - minted_at > QR_LIFETIME:
        raise CodeExpired(details={"kind": "qr", "minted_at": minted_at.isoformat()})
    return QrToken(pickup_number=number, minted_at=minted_at)


def pickup_code_verify(*, code: str) -> Customer:
    """The customer a pickup code `<number>*<4 digits>` belongs to. Unknown number: NOT_FOUND; wrong
    4 digits: CODE_INVALID (compared in constant time)."""
    match = _PICKUP_CODE.match(code)
    if match is None:
        raise CodeInvalid(details={"kind": "pickup_code"})
    customer = Customer.objects.filter(pickup_number=match["number"]).first()
    if customer is None:
        raise NotFound(
            _("Клиент с таким кодом получения не найден. Проверьте код."), details={"kind": "pickup_code"}
        )
    if not hmac.compare_digest(match["suffix"], pickup_code_suffix(customer.pickup_number)):
        raise CodeInvalid(details={"kind": "pickup_code"})
    return customer
