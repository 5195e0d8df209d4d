"""Input parsing for the «Сотрудники» screen; who may invite whom is checked by the staff services."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from pvz.accounts.roles import Role
from pvz.network.models import PickupPoint


class InviteForm(forms.Form):
    phone = forms.CharField(
        label=_("Телефон"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "off", "placeholder": "+7 916 123-45-67"}
        ),
    )
    full_name = forms.CharField(
        label=_("Имя"),
        max_length=200,
        required=False,
    )
    role = forms.ChoiceField(label=_("Роль"))
    points = forms.TypedMultipleChoiceField(label=_("Точки"), coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(
        self, *args: object, roles: Sequence[str], points: Sequence[PickupPoint], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = [(role, Role(role).label) for role in roles]  # type: ignore[attr-defined]
        self.fields["points"].choices = [(point.pk, point.name) for point in points]  # type: ignore[attr-defined]
        self._points = {point.pk: point for point in points}

    def chosen_points(self) -> list[PickupPoint]:
        return [self._points[point_id] for point_id in self.cleaned_data["points"]]
