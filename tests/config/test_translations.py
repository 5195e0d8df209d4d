"""Every Russian source string has an English translation, and the compiled catalogue is current."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.utils import translation

_CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")
# Translated to themselves on purpose: a language is named in its own language in the switch.
_SAME_IN_ENGLISH = {"Русский"}
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


def test_every_russian_string_in_the_python_source_has_an_english_translation() -> None:
    """`make messages` was run after the source changed: a string marked for translation in a module but
    missing from the catalogue would reach English users in Russian (the catalogue checks above cannot see
    it). Templates are not read here."""
    src = Path(__file__).resolve().parents[2] / "src/pvz"
    marked = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
    missing: list[str] = []
    with translation.override("en"):
        for path in sorted(src.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in marked and node.args):
                    continue
                text = node.args[-1] if node.func.id.startswith("pgettext") else node.args[0]  # type: ignore[attr-defined]
                if (
                    isinstance(text, ast.Constant)
                    and isinstance(text.value, str)
                    and _CYRILLIC.search(text.value)
                ):
                    translated = (
                        translation.pgettext(node.args[0].value, text.value)  # type: ignore[attr-defined]
                        if node.func.id.startswith("pgettext")  # type: ignore[attr-defined]
                        else translation.gettext(text.value)
                    )
                    if translated == text.value and text.value not in _SAME_IN_ENGLISH:
                        missing.append(f"{path.relative_to(src)}:{node.lineno}: {text.value}")
    assert missing == []
