"""Django admin for users, their memberships and the SMS outbox. Open to platform admins only:
`User.is_staff` is true exactly for active platform admins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import Membership, SmsMessage, User
from pvz.core.admin import ReadOnlyAdmin
from pvz.core.errors import DomainError
from pvz.core.phone import normalize_phone

admin.site.site_header = _("OpenPVZ: администрирование")
admin.site.site_title = _("OpenPVZ")
admin.site.index_title = _("Платформа")


class UserForm(forms.ModelForm[User]):
    # Wider than the stored E.164 value: people type spaces, brackets and dashes.
    phone = forms.CharField(
        label=_("телефон"), max_length=40, help_text=_("Как удобно, например 8 916 123-45-67")
    )

    class Meta:
        model = User
        fields = ["phone", "full_name", "is_active", "language"]

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except DomainError as error:
            raise forms.ValidationError(str(error.message)) from None


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    fk_name = "user"
    fields = ["role", "point", "is_active"]
    autocomplete_fields = ["point"]
    extra = 0


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    form = UserForm
    list_display = ["phone", "full_name", "is_active", "date_joined", "last_login"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["phone", "full_name"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [MembershipInline]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # People type phones the way they say them ("8 916 …"); stored phones are E.164.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except DomainError:
            return found, may_have_duplicates
        return found | queryset.filter(phone=phone), may_have_duplicates

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm[User], change: bool) -> None:
        if not change:
            obj.set_unusable_password()  # staff log in by SMS code; a password would be a second door
        super().save_model(request, obj, form, change)


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin[SmsMessage]):
    list_display = ["created_at", "phone", "text"]
    search_fields = ["phone"]
