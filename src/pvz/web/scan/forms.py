"""The header scan box's form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Скан или номер"), max_length=200, strip=False)
