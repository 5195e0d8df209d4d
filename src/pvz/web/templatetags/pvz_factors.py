"""The second-factor block of «Безопасность» reads what it shows itself, so the page that includes it
needs to pass nothing."""

from __future__ import annotations

from django import template

from pvz.accounts.models import User
from pvz.factors.selectors import FactorSummary, factor_summary

register = template.Library()


@register.simple_tag
def factors_of(user: User) -> FactorSummary | None:
    return factor_summary(user=user) if user.is_authenticated else None
