"""Forms of signing in and choosing the point: types and required fields; the services check the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Номер телефона"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "autofocus": True,
                "placeholder": "+7 900 000-00-00",
            }
        ),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Код из SMS"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Код — это 6 цифр.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"\d{6}",
                "maxlength": 6,
                "autofocus": True,
            }
        ),
    )


class PointChoiceForm(forms.Form):
    point_id = forms.IntegerField(min_value=1)
    next = forms.CharField(required=False, max_length=2000)
