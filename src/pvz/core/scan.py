"""What a scanner typed, made comparable: keyboard layout fixed, spaces and control characters dropped.

A barcode scanner emulates a keyboard. With a Russian layout active, `ii11807135000` arrives as
`шш11807135000`; every scan input goes through `normalize_scan` before any lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_RU = "йцукенгшщзхъфывапролджэячсмитьбюё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
_EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>~'
_LAYOUT = str.maketrans(_RU, _EN)
# In the Russian layout Shift+3 types "№", where a scanner meant "#"; "%" and "*" are the same keys.
_LAYOUT[ord("№")] = ord("#")
_JUNK = re.compile(r"[\s\x00-\x1f\x7f]+")


def fix_layout(raw: str) -> str:
    return raw.translate(_LAYOUT)


def normalize_scan(raw: str) -> str:
    """Layout-fixed, whitespace-free text of a scan; letters lower-cased except cell addresses,
    which the classifier upper-cases."""
    return _JUNK.sub("", fix_layout(raw or ""))


class ScanKind(StrEnum):
    PICKUP_CODE = "pickup_code"
    POSTING_NUMBER = "posting_number"
    TOTE = "tote"
    CELL = "cell"
    CARRIAGE = "carriage"
    COUNTER_QR = "counter_qr"  # the customer's rotating QR token, `PVZQR-…` (see pvz.counter.tokens)
    BARCODE = "barcode"  # anything else: a shipment label barcode, or unknown


@dataclass(frozen=True)
class ScanGuess:
    kind: ScanKind
    value: str


_PATTERNS: list[tuple[ScanKind, re.Pattern[str]]] = [
    (ScanKind.PICKUP_CODE, re.compile(r"^\d{8,}\*\d{4}$")),
    (ScanKind.POSTING_NUMBER, re.compile(r"^\d{5,}-\d{4}-\d$")),
    (ScanKind.TOTE, re.compile(r"^%\d{3}%\d{6,}$")),
    (ScanKind.CELL, re.compile(r"^[A-Za-z]{1,2}-\d{1,3}-\d{1,2}$")),
    (ScanKind.CARRIAGE, re.compile(r"^car-?\d{4,}$", re.IGNORECASE)),
    (ScanKind.COUNTER_QR, re.compile(r"^pvzqr-[0-9a-z-]+$", re.IGNORECASE)),
]


def classify_scan(normalized: str) -> ScanGuess:
    """Guess what a normalised scan is by its shape; the router still looks it up before trusting it."""
    for kind, pattern in _PATTERNS:
        if pattern.match(normalized):
            if kind is ScanKind.CELL:
                return ScanGuess(kind, normalized.upper())
            if kind is ScanKind.CARRIAGE:
                digits = normalized.lower().removeprefix("car").lstrip("-")
                return ScanGuess(kind, f"CAR-{digits}")
            if kind is ScanKind.COUNTER_QR:
                return ScanGuess(kind, normalized.upper())
            return ScanGuess(kind, normalized)
    return ScanGuess(ScanKind.BARCODE, normalized.lower())
