"""Input parsing for the second-factor screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

_CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}


class SixDigitCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Код"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("Код — это 6 цифр.")},
        widget=forms.TextInput(attrs={**_CODE_ATTRS, "maxlength": 7}),
    )


class SecondFactorForm(forms.Form):
    """A code of the authenticator app (6 digits), a backup code (like k7m2p-x9qfa) or an e-mail code."""

    code = forms.CharField(
        label=_("Код"),
        max_length=20,
        widget=forms.TextInput(attrs={**_CODE_ATTRS, "inputmode": "text", "autocapitalize": "off"}),
    )


class RemoveFactorForm(SecondFactorForm):
    """An unfinished enrolment is dropped without a code, so the code may be empty here."""

    code = forms.CharField(
        label=_("Код"), max_length=20, required=False, widget=SecondFactorForm.base_fields["code"].widget
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class FactorPolicyForm(forms.Form):
    require_second_factor = forms.BooleanField(
        label=_("Требовать второй фактор для сотрудников"), required=False
    )
