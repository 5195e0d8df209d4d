"""A partner's label barcode patterns: regular expressions a label of that partner matches in full.

Stored on `Partner.barcode_patterns` as given (without anchors); always matched with `re.fullmatch` and
ignoring case (labels are stored lower-case, admins write `II\\d{11}` as often as `ii\\d{11}`), so a
pattern is anchored at both ends whatever it says. Bounded: at most `MAX_PATTERNS` patterns of at most
`MAX_PATTERN_LENGTH` characters, each one compiling, matching no empty string and listed once.

Scan recognition asks `label_partners` whose label a scanned code is. Compiled patterns are memoised by
their text, so a changed pattern list is simply a new key: nothing to invalidate."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from django.utils.translation import gettext as _

from pvz.core.errors import DomainError, ErrorCode
from pvz.core.scan import normalize_scan
from pvz.network.models import Partner

MAX_PATTERNS = 20
MAX_PATTERN_LENGTH = 100
# Longer scans are never a label: keeps a pathological pattern's work bounded.
MAX_BARCODE_LENGTH = 64


def _invalid(message: str, **params: object) -> DomainError:
    return DomainError(
        message % params if params else message,
        code=ErrorCode.VALIDATION_FAILED,
        details={"field": "barcode_patterns"},
    )


def barcode_patterns_clean(raw: Iterable[str]) -> list[str]:
    """The patterns trimmed, blank lines dropped, a leading ^ and trailing $ removed (they are implied);
    raises VALIDATION_FAILED (field `barcode_patterns`) naming the first bad one."""
    patterns: list[str] = []
    for line in raw:
        pattern = line.strip()
        if not pattern:
            continue
        pattern = pattern.removeprefix("^")
        if pattern.endswith("$") and not pattern.endswith("\\$"):
            pattern = pattern[:-1]
        if not pattern:
            raise _invalid(_("Пустой шаблон: он подошёл бы к любому коду."))
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise _invalid(
                _("Шаблон длиннее %(max)s символов: %(pattern)s"),
                max=MAX_PATTERN_LENGTH,
                pattern=pattern[:40] + "…",
            )
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise _invalid(
                _("Шаблон %(pattern)s не разбирается: %(error)s"), pattern=pattern, error=str(exc)
            ) from exc
        if compiled.fullmatch(""):
            raise _invalid(_("Шаблон %(pattern)s подходит к пустому коду."), pattern=pattern)
        if pattern in patterns:
            raise _invalid(_("Шаблон %(pattern)s указан дважды."), pattern=pattern)
        patterns.append(pattern)
    if len(patterns) > MAX_PATTERNS:
        raise _invalid(_("Не больше %(max)s шаблонов."), max=MAX_PATTERNS)
    return patterns


@lru_cache(maxsize=512)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


def barcode_matches(patterns: Iterable[str], barcode: str) -> bool:
    """Whether a scanned code matches one of the patterns in full, ignoring case."""
    if not barcode or len(barcode) > MAX_BARCODE_LENGTH:
        return False
    return any(compiled.fullmatch(barcode) for compiled in _compiled(tuple(patterns)))


def partner_label_matches(partner: Partner, code: str) -> bool:
    """Whether `code` (as scanned, any layout) is a label of `partner` by its patterns; a partner without
    patterns recognises nothing."""
    return bool(partner.barcode_patterns) and barcode_matches(partner.barcode_patterns, normalize_scan(code))


def label_partners(code: str) -> list[Partner]:
    """The partners whose label `code` (as scanned, any layout) is by their patterns, by name. One query,
    only for the partners that have patterns (a few dozen at most, each with at most 20)."""
    normalized = normalize_scan(code)
    if not normalized or len(normalized) > MAX_BARCODE_LENGTH:
        return []
    return [
        partner
        for partner in Partner.objects.exclude(barcode_patterns=[]).order_by("name", "pk")
        if barcode_matches(partner.barcode_patterns, normalized)
    ]
