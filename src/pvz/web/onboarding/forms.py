"""Forms of the opening application and its review: types and required fields only; the services check
the rest and say what is wrong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pvz.onboarding.models import ApplicationStatus


class ApplyForm(forms.Form):
    applicant_name = forms.CharField(label=_("Ваше имя"), max_length=200)
    phone = forms.CharField(
        label=_("Телефон"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "+7 916 123-45-67"}
        ),
    )
    email = forms.CharField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    legal_entity = forms.CharField(label=_("Юрлицо или ИП (необязательно)"), max_length=200, required=False)
    inn = forms.CharField(label=_("ИНН (необязательно)"), max_length=12, required=False)
    address = forms.CharField(label=_("Адрес помещения"), max_length=400)
    area_m2 = forms.IntegerField(label=_("Площадь, м²"), min_value=1, max_value=1_000_000)
    opening_hours = forms.CharField(
        label=_("Часы работы"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Например, ежедневно 9:00–21:00")}),
    )


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Статус"), required=False, choices=[("", _("Все")), *ApplicationStatus.choices]
    )


class ApproveForm(forms.Form):
    code = forms.CharField(label=_("Код точки"), max_length=40)
    name = forms.CharField(label=_("Название"), max_length=200)
    timezone = forms.CharField(label=_("Часовой пояс"), max_length=64)
    capacity = forms.IntegerField(label=_("Вместимость, отправлений"), min_value=1, max_value=100_000)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Причина отказа"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
