"""Staff endpoints: a point's staff, inviting by phone, optional permissions, withdrawal, deactivation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from pvz.accounts.models import Membership
from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_ERRORS, WRITE_ERRORS
from pvz.api.idempotency import idempotent
from pvz.api.permissions import point_for, point_of, requires
from pvz.staff.selectors import StaffMember, staff_at_point, staff_member_get
from pvz.staff.services import (
    permission_grant,
    permission_withdraw,
    staff_invite,
    staff_withdraw,
    user_deactivate,
    user_reactivate,
)

router = Router(tags=["staff"])


class StaffMemberOut(Schema):
    membership_id: int
    user_id: int
    full_name: str
    phone: str = Field(description="E.164; only staff managers see this list, so the phone is not masked.")
    is_active: bool = Field(description="False once the person is deactivated: they cannot sign in anywhere.")
    role: str = Field(description="owner, manager or operator.")
    grants: list[str] = Field(description="Optional permissions granted on top of the role.")
    grantable: list[str] = Field(description="Optional permissions this role may be granted.")
    can_manage: bool = Field(description="Whether the caller may withdraw this role and change its grants.")


class InviteIn(Schema):
    phone: str = Field(max_length=32, description="Any common format; stored as E.164.")
    full_name: str = Field(default="", max_length=200, description="Needed for a new person; kept otherwise.")
    role: str = Field(description="manager or operator (owners and admins: see domain rules).")
    points: list[int] = Field(
        default_factory=list,
        max_length=100,
        description="Further points to grant the role at, besides the one in the URL; each must be the "
        "caller's (404) with staff management there (403).",
    )


class InvitationOut(Schema):
    user_id: int
    user_created: bool = Field(description="True when the phone was new and a user was created.")
    memberships: list[StaffMemberOut]


class GrantIn(Schema):
    perm: str = Field(description="An optional permission the member's role may get, e.g. view_finance.")


class PersonOut(Schema):
    user_id: int
    is_active: bool


def _member_out(member: StaffMember) -> StaffMemberOut:
    return StaffMemberOut(
        membership_id=member.membership.pk,
        user_id=member.user.pk,
        full_name=member.user.full_name,
        phone=member.user.phone,
        is_active=member.user.is_active,
        role=member.role,
        grants=[str(toggle.perm) for toggle in member.toggles if toggle.granted],
        grantable=[str(toggle.perm) for toggle in member.toggles],
        can_manage=member.can_manage,
    )


def _one(request: HttpRequest, membership_id: int) -> StaffMemberOut:
    members = staff_at_point(actor=caller(request), point=point_of(request))
    member = next(m for m in members if m.membership.pk == membership_id)
    return _member_out(member)


def _membership(request: HttpRequest, membership_id: int) -> Membership:
    """A membership at the point `@requires` checked."""
    return staff_member_get(actor=caller(request), point=point_of(request), membership_id=membership_id)


@router.get(
    "/points/{point_id}/staff",
    response={200: list[StaffMemberOut], **READ_ERRORS},
    operation_id="staff_list",
    summary="The point's staff",
    description=(
        "Active roles at the point with their optional permissions. Owners and platform admins see "
        "everybody; a manager sees operators only. Needs the manage-staff permission."
    ),
)
@requires(Perm.MANAGE_STAFF)
def staff_list(request: HttpRequest, point_id: int) -> list[StaffMemberOut]:
    user = caller(request)
    point = point_of(request)
    return [_member_out(member) for member in staff_at_point(actor=user, point=point)]


@router.post(
    "/points/{point_id}/staff",
    response={201: InvitationOut, **WRITE_ERRORS},
    operation_id="staff_invite",
    summary="Invite a person by phone",
    description=(
        "Creates the user when the phone is new and grants the role at this point and every point in "
        "`points`, all or nothing; the person gets an SMS after commit. Owners invite managers and "
        "operators, managers operators only (403 otherwise); a bad phone is 422 VALIDATION_FAILED with "
        "`details.field = phone`; a deactivated person is 409 CONFLICT."
    ),
)
@idempotent
@requires(Perm.MANAGE_STAFF)
def staff_invite_endpoint(request: HttpRequest, point_id: int, payload: InviteIn) -> Status[Any]:
    user = caller(request)
    points = [point_of(request)]
    for other_id in payload.points:
        if other_id not in {point.pk for point in points}:
            points.append(point_for(user=user, point_id=other_id, perm=Perm.MANAGE_STAFF))
    invitation = staff_invite(
        actor=user, phone=payload.phone, full_name=payload.full_name, role=payload.role, points=points
    )
    members = {m.membership.pk: m for point in points for m in staff_at_point(actor=user, point=point)}
    return Status(
        201,
        InvitationOut(
            user_id=invitation.user.pk,
            user_created=invitation.user_created,
            memberships=[_member_out(members[m.pk]) for m in invitation.memberships],
        ),
    )


@router.post(
    "/points/{point_id}/staff/{membership_id}/grants",
    response={200: StaffMemberOut, **WRITE_ERRORS},
    operation_id="staff_grant",
    summary="Grant an optional permission",
    description=(
        "Adds an optional permission to the member's role at this point; it counts from their next request. "
        "Only permissions the role may get (422 otherwise), only by someone who manages that role here and "
        "holds the permission themself (403). A membership the caller does not see is 404."
    ),
)
@idempotent
@requires(Perm.MANAGE_STAFF)
def staff_grant(request: HttpRequest, point_id: int, membership_id: int, payload: GrantIn) -> StaffMemberOut:
    membership = _membership(request, membership_id)
    permission_grant(actor=caller(request), membership=membership, perm=payload.perm)
    return _one(request, membership_id)


@router.delete(
    "/points/{point_id}/staff/{membership_id}/grants/{perm}",
    response={200: StaffMemberOut, **WRITE_ERRORS},
    operation_id="staff_grant_withdraw",
    summary="Withdraw an optional permission",
    description="The same rules as granting; withdrawing one not granted changes nothing.",
)
@idempotent
@requires(Perm.MANAGE_STAFF)
def staff_grant_withdraw(
    request: HttpRequest, point_id: int, membership_id: int, perm: str
) -> StaffMemberOut:
    membership = _membership(request, membership_id)
    permission_withdraw(actor=caller(request), membership=membership, perm=perm)
    return _one(request, membership_id)


@router.delete(
    "/points/{point_id}/staff/{membership_id}",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="staff_withdraw",
    summary="Withdraw a person from the point",
    description=(
        "Ends the role at this point and drops its optional permissions. Nobody withdraws themself (403); "
        "the last owner of a point stays (409)."
    ),
)
@idempotent
@requires(Perm.MANAGE_STAFF)
def staff_withdraw_endpoint(request: HttpRequest, point_id: int, membership_id: int) -> PersonOut:
    membership = _membership(request, membership_id)
    staff_withdraw(actor=caller(request), membership=membership)
    return PersonOut(user_id=membership.user_id, is_active=membership.user.is_active)


@router.post(
    "/points/{point_id}/staff/{membership_id}/deactivate",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="staff_deactivate",
    summary="Deactivate a person everywhere",
    description=(
        "The member's user can no longer sign in and every session ends at once; roles are kept for "
        "reactivation. Needs the deactivate-staff permission (owners, platform admins); an owner only for "
        "people who work solely at their points in roles they manage (403 otherwise); nobody themself (403); "
        "not the last owner of a point (409)."
    ),
)
@idempotent
@requires(Perm.DEACTIVATE_STAFF)
def staff_deactivate(request: HttpRequest, point_id: int, membership_id: int) -> PersonOut:
    membership = _membership(request, membership_id)
    person = user_deactivate(actor=caller(request), user=membership.user)
    return PersonOut(user_id=person.pk, is_active=person.is_active)


@router.post(
    "/points/{point_id}/staff/{membership_id}/reactivate",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="staff_reactivate",
    summary="Reactivate a deactivated person",
    description="The same rules as deactivation; the person gets back the roles they had.",
)
@idempotent
@requires(Perm.DEACTIVATE_STAFF)
def staff_reactivate(request: HttpRequest, point_id: int, membership_id: int) -> PersonOut:
    membership = _membership(request, membership_id)
    person = user_reactivate(actor=caller(request), user=membership.user)
    return PersonOut(user_id=person.pk, is_active=person.is_active)
