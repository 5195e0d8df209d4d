"""«Сотрудники»: the current point's staff, inviting by phone, optional permissions, withdrawal and
deactivation. Rules live in `pvz.staff`; a manager sees and manages operators only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pvz.accounts.models import Membership
from pvz.accounts.roles import PERM_LABELS, Perm
from pvz.accounts.selectors import points_with_access
from pvz.core.errors import DomainError, NotFound
from pvz.staff.selectors import staff_at_point, staff_member_get, staff_roles_to_invite
from pvz.staff.services import (
    permission_grant,
    permission_withdraw,
    staff_invite,
    staff_withdraw,
    user_deactivate,
    user_reactivate,
)
from pvz.web.permissions import AtPointRequest, PointRequest, require_point_perm
from pvz.web.staff.forms import InviteForm


def _invite_form(request: AtPointRequest, data: Any = None) -> InviteForm:
    # Platform roles reach every point of the network: too many to list, so they invite at this one.
    points = (
        [request.point]
        if request.user.platform_roles
        else [a.point for a in points_with_access(user=request.user) if Perm.MANAGE_STAFF in a.perms]
    )
    return InviteForm(
        data,
        roles=staff_roles_to_invite(actor=request.user, point=request.point),
        points=points,
        initial={"points": [request.point.pk]},
    )


def _page(
    request: AtPointRequest, form: InviteForm, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "members": staff_at_point(actor=request.user, point=request.point),
        "form": form,
        "error": error,
    }
    return render(request, "web/staff/list.html", context, status=status)


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("web:staff"))


def _member(request: AtPointRequest, membership_id: int) -> Membership:
    try:
        return staff_member_get(actor=request.user, point=request.point, membership_id=membership_id)
    except NotFound:
        raise Http404 from None


def _report(request: PointRequest, error: DomainError) -> None:
    messages.error(request, f"{error.message} ({error.code})")


@require_point_perm(Perm.MANAGE_STAFF)
@require_GET
def staff_list(request: AtPointRequest) -> HttpResponse:
    return _page(request, _invite_form(request))


@require_point_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_invite_view(request: AtPointRequest) -> HttpResponse:
    form = _invite_form(request, request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    data = form.cleaned_data
    try:
        invitation = staff_invite(
            actor=request.user,
            phone=data["phone"],
            full_name=data["full_name"],
            role=data["role"],
            points=form.chosen_points(),
        )
    except DomainError as error:
        return _page(request, form, error=error, status=error.http_status)
    messages.success(
        request,
        _("%(name)s добавлен(а). Приглашение отправлено по SMS на %(phone)s.")
        % {"name": invitation.user.full_name or invitation.user.phone, "phone": invitation.user.phone},
    )
    return _back()


@require_point_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_perm(request: AtPointRequest, membership_id: int, perm: str) -> HttpResponse:
    membership = _member(request, membership_id)
    if perm not in set(Perm):
        raise Http404
    grant = request.POST.get("granted") == "1"
    try:
        if grant:
            permission_grant(actor=request.user, membership=membership, perm=perm)
        else:
            permission_withdraw(actor=request.user, membership=membership, perm=perm)
    except DomainError as error:
        _report(request, error)
    else:
        text = _("%(name)s: право «%(perm)s» выдано.") if grant else _("%(name)s: право «%(perm)s» отозвано.")
        messages.success(request, text % {"name": membership.user, "perm": PERM_LABELS[Perm(perm)]})
    return _back()


def _member_change(
    request: AtPointRequest, membership_id: int, change: Callable[[Membership], object], done: str
) -> HttpResponse:
    """Apply `change` to one member of this point; `done` (with %(name)s) is said on success, a refusal is
    reported instead. Either way back to the list."""
    membership = _member(request, membership_id)
    try:
        change(membership)
    except DomainError as error:
        _report(request, error)
    else:
        messages.success(request, done % {"name": membership.user})
    return _back()


@require_point_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_withdraw_view(request: AtPointRequest, membership_id: int) -> HttpResponse:
    return _member_change(
        request,
        membership_id,
        lambda membership: staff_withdraw(actor=request.user, membership=membership),
        _("%(name)s больше не работает в этой точке."),
    )


@require_point_perm(Perm.DEACTIVATE_STAFF)
@require_POST
def staff_deactivate(request: AtPointRequest, membership_id: int) -> HttpResponse:
    return _member_change(
        request,
        membership_id,
        lambda membership: user_deactivate(actor=request.user, user=membership.user),
        _("%(name)s отключён(а): вход и все сеансы закрыты."),
    )


@require_point_perm(Perm.DEACTIVATE_STAFF)
@require_POST
def staff_reactivate(request: AtPointRequest, membership_id: int) -> HttpResponse:
    return _member_change(
        request,
        membership_id,
        lambda membership: user_reactivate(actor=request.user, user=membership.user),
        _("%(name)s снова может войти."),
    )
