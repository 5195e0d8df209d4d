"""Input parsing for the cell pages; the limits are checked by the cell services, not here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from pvz.cells.selectors import CAPACITY_MAX, CAPACITY_MIN, RACK_MAX, RACK_MIN, SHELF_MAX, SHELF_MIN
from pvz.network.labels import LabelLayout
from pvz.network.models import SizeClass

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

_SEPARATORS = re.compile(r"[\s,;]+")


def _number(label: StrOrPromise, low: int, high: int, initial: int) -> forms.IntegerField:
    # min/max only guide the browser's number input; the service gives the error a person reads.
    return forms.IntegerField(
        label=label,
        initial=initial,
        widget=forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"}),
    )


class CellsBulkForm(forms.Form):
    zones = forms.CharField(
        label=_("Зоны"),
        max_length=200,
        initial="A",
        help_text=_("Буквы через пробел или запятую, например: A B C"),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "autofocus": True}
        ),
    )
    rack_first = _number(_("Стеллажи с"), RACK_MIN, RACK_MAX, 1)
    rack_last = _number(_("по"), RACK_MIN, RACK_MAX, 4)
    shelf_first = _number(_("Полки с"), SHELF_MIN, SHELF_MAX, 1)
    shelf_last = _number(_("по"), SHELF_MIN, SHELF_MAX, 3)
    size_class = forms.ChoiceField(label=_("Размер"), choices=SizeClass.choices, initial=SizeClass.M)
    capacity = _number(_("Вместимость"), CAPACITY_MIN, CAPACITY_MAX, 10)

    def zone_list(self) -> list[str]:
        return [zone for zone in _SEPARATORS.split(self.cleaned_data["zones"]) if zone]


class CellEditForm(forms.Form):
    size_class = forms.ChoiceField(label=_("Размер"), choices=SizeClass.choices)
    capacity = _number(_("Вместимость"), CAPACITY_MIN, CAPACITY_MAX, 10)


class CellsFilterForm(forms.Form):
    zone = forms.CharField(required=False, max_length=4)
    retired = forms.BooleanField(required=False)


class LabelsForm(forms.Form):
    zone = forms.CharField(required=False, max_length=4)
    # The "labels of this zone" button of the list page: the whole zone, whatever else is ticked.
    print_zone = forms.CharField(required=False, max_length=4)
    layout = forms.ChoiceField(
        required=False, choices=[(layout.value, layout.value) for layout in LabelLayout]
    )

    def cell_ids(self) -> list[int]:
        """The ticked cells (`ids` repeated); what is not a number cannot be a cell and is dropped."""
        values = self.data.getlist("ids") if isinstance(self.data, QueryDict) else []
        return [int(value) for value in values if value.isdigit()]
