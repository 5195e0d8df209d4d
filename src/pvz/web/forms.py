"""Input parsing for the staff web UI; rules about what is valid live in the services."""

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


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Скан или номер"), max_length=200, strip=False)
