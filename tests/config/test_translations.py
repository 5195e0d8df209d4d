"""Every Russian source string has an English translation, and the compiled catalogue is current."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "src/pvz/locale/en/LC_MESSAGES/django.po"


def _entries() -> list[str]:
    return [e for e in PO.read_text(encoding="utf-8").split("\n\n") if "msgid" in e]


def test_english_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    entries = _entries()[1:]  # the first one is the header
    untranslated = [e for e in entries if re.search(r'msgstr ""\s*$', e)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]

    assert len(entries) > 100
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_translates_a_known_string() -> None:
    with translation.override("en"):
        assert translation.gettext("Недостаточно прав для этого действия.") != (
            "Недостаточно прав для этого действия."
        )
