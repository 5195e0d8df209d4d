"""The form that starts closing a point: types and required fields; the service checks the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CloseStartForm(forms.Form):
    reason = forms.CharField(
        label=_("Причина закрытия"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    planned_on = forms.DateField(
        label=_("Планируемая дата закрытия"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    confirm = forms.BooleanField(label=_("Понимаю: точка перестанет принимать новые поставки"))
