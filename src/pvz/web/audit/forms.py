"""The audit log viewer's filters (query string), turned into `staff.audit_log.AuditFilters`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pvz.network.models import PickupPoint
from pvz.staff.audit_log import AuditFilters

SCOPE_POINT = "point"
SCOPE_ALL = "all"


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("С"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("По"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    action = forms.CharField(label=_("Действие"), required=False, max_length=40)
    actor_phone = forms.CharField(label=_("Телефон сотрудника"), required=False, max_length=20)
    object_id = forms.CharField(label=_("Номер объекта"), required=False, max_length=64)
    scope = forms.ChoiceField(
        label=_("Точки"),
        required=False,
        choices=[(SCOPE_POINT, _("Текущая точка")), (SCOPE_ALL, _("Все мои точки"))],
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("Дата «С» позже даты «По»."))
        return data

    def filters(self, *, point: PickupPoint) -> AuditFilters:
        """The filters of a valid form; the dates are days at the current point."""
        data = self.cleaned_data
        return AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            action=data.get("action") or "",
            actor_phone=data.get("actor_phone") or "",
            object_id=data.get("object_id") or "",
            point_id=None if data.get("scope") == SCOPE_ALL else point.pk,
            tz=point.tz,
        )
