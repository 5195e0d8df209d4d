"""Forms of the partner settings screens (platform admins): types and required fields only; the services
(network, webhooks) check the rest and say what is wrong."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from pvz.network.barcodes import MAX_PATTERNS
from pvz.network.models import Partner
from pvz.partners.partner_settings import PARTNER_DAYS_MAX
from pvz.webhooks.models import DeliveryStatus, EventType


class PartnerSettingsForm(forms.Form):
    storage_days = forms.IntegerField(label=_("Срок хранения, дней"), min_value=1, max_value=PARTNER_DAYS_MAX)
    return_window_days = forms.IntegerField(
        label=_("Окно возврата, дней"), min_value=1, max_value=PARTNER_DAYS_MAX
    )
    id_check_threshold_rub = forms.DecimalField(
        label=_("Проверка документа от суммы, ₽ (пусто — не нужна)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100000000"),
        decimal_places=2,
    )
    barcode_patterns = forms.CharField(
        label=_("Шаблоны штрихкодов (регулярные выражения, по одному в строке)"),
        required=False,
        max_length=MAX_PATTERNS * 110,
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
    )

    @classmethod
    def for_partner(cls, partner: Partner) -> PartnerSettingsForm:
        threshold = partner.id_check_threshold_kop
        return cls(
            initial={
                "storage_days": partner.storage_days,
                "return_window_days": partner.return_window_days,
                "id_check_threshold_rub": (
                    None if threshold is None else (Decimal(threshold) / 100).quantize(Decimal("0.01"))
                ),
                "barcode_patterns": "\n".join(partner.barcode_patterns),
            }
        )

    def threshold_kop(self) -> int | None:
        rub = self.cleaned_data["id_check_threshold_rub"]
        return None if rub is None else int(rub * 100)

    def patterns(self) -> list[str]:
        patterns: str = self.cleaned_data["barcode_patterns"]
        return patterns.splitlines()


class ReasonForm(forms.Form):
    code = forms.SlugField(label=_("Код"), max_length=40)
    title = forms.CharField(label=_("Название"), max_length=200)
    position = forms.IntegerField(label=_("Порядок"), min_value=0, max_value=1000, initial=0)


class ReasonEditForm(forms.Form):
    title = forms.CharField(label=_("Название"), max_length=200)
    position = forms.IntegerField(label=_("Порядок"), min_value=0, max_value=1000)
    is_active = forms.BooleanField(label=_("Действует"), required=False)


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("Адрес (https://…)"), max_length=500)
    description = forms.CharField(label=_("Описание"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("События (ничего не выбрано — все)"),
        required=False,
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Статус"), required=False, choices=[("", _("Все")), *DeliveryStatus.choices]
    )
    type = forms.ChoiceField(
        label=_("Тип события"), required=False, choices=[("", _("Все")), *EventType.choices]
    )
