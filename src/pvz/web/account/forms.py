"""Input parsing for the password screens: sign-in with a password, «Безопасность», password recovery.
Strength rules live in `pvz.accounts.passwords`; these forms only check that the fields are there."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pvz.web.signin.forms import CodeForm, PhoneForm


def _password_field(label: Any, *, autocomplete: str, autofocus: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {"autocomplete": autocomplete}
    if autofocus:
        attrs["autofocus"] = True
    # strip=False: spaces are part of a password.
    return forms.CharField(label=label, max_length=128, strip=False, widget=forms.PasswordInput(attrs=attrs))


class PasswordLoginForm(PhoneForm):
    password = _password_field(_("Пароль"), autocomplete="current-password")


class NewPasswordForm(forms.Form):
    """A new password typed twice."""

    new_password = _password_field(_("Новый пароль"), autocomplete="new-password")
    new_password_again = _password_field(_("Новый пароль ещё раз"), autocomplete="new-password")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if first is not None and again is not None and first != again:
            self.add_error("new_password_again", _("Пароли не совпадают."))
        return cleaned


class PasswordChangeForm(NewPasswordForm):
    current_password = _password_field(_("Текущий пароль"), autocomplete="current-password", autofocus=True)

    field_order = ["current_password", "new_password", "new_password_again"]


class PasswordCodeForm(CodeForm, NewPasswordForm):
    """The SMS code and the new password on one form (recovery, and the first password)."""

    field_order = ["code", "new_password", "new_password_again"]
