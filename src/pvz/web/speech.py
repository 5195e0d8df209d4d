"""What scan screens say aloud: a cell address spelled sign by sign for the browser's speech synthesis."""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_DIGITS: tuple[str | Promise, ...] = (
    _("ноль"),
    _("один"),
    _("два"),
    _("три"),
    _("четыре"),
    _("пять"),
    _("шесть"),
    _("семь"),
    _("восемь"),
    _("девять"),
)
# Zones are Latin letters; a Russian voice would read a lone "B" as «в» and "C" as «с», so it gets the
# names Russian speakers use for Latin letters.
_LETTERS_RU = {
    "A": "А",
    "B": "Бэ",
    "C": "Цэ",
    "D": "Дэ",
    "E": "Е",
    "F": "Эф",
    "G": "Гэ",
    "H": "Аш",
    "I": "И",
    "J": "Жи",
    "K": "Ка",
    "L": "Эль",
    "M": "Эм",
    "N": "Эн",
    "O": "О",
    "P": "Пэ",
    "Q": "Ку",
    "R": "Эр",
    "S": "Эс",
    "T": "Тэ",
    "U": "У",
    "V": "Вэ",
    "W": "Дубль-вэ",
    "X": "Икс",
    "Y": "Игрек",
    "Z": "Зэт",
}


def cell_address_spoken(address: str) -> str:
    """A-03-2 → «А ноль три два»: spelled sign by sign, because «три» and «тридцать» are easy to mix up
    in a noisy room and the zeros matter on the label."""
    russian = (translation.get_language() or "ru").startswith("ru")
    words: list[str] = []
    for char in address.upper():
        if char.isdigit():
            words.append(str(_DIGITS[int(char)]))
        elif char.isalpha():
            words.append(_LETTERS_RU.get(char, char) if russian else char)
    return " ".join(words)
