"""A partner's label barcode patterns: regular expressions a label of that partner matches in full.

Stored on `Partner.barcode_patterns` as given (without anchors); always matched with `re.fullmatch`, so a
pattern is anchored at both ends whatever it says. Bounded: at most `MAX_PATTERNS` patterns of at most
`MAX_PATTERN_LENGTH` characters, each one compiling, matching no empty string and listed once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from pvz.core.errors import DomainError, ErrorCode

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


def barcode_matches(patterns: Iterable[str], barcode: str) -> bool:
    """Whether a scanned code matches one of the patterns in full."""
    if not barcode or len(barcode) > MAX_BARCODE_LENGTH:
        return False
    return any(re.fullmatch(pattern, barcode) for pattern in patterns)
