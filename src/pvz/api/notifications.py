"""`/me/notifications`: the caller's own staff messages (newest first, with the unread count), marking them
read, and their channel and quiet-hour choices (what the «Уведомления» screens show).

Not `@idempotent`: both writes set a state (read; these choices), so a replay changes nothing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from pvz.api.auth import caller
from pvz.api.errors import SELF_READ_ERRORS, SELF_WRITE_ERRORS, ErrorOut
from pvz.api.permissions import requires_sign_in
from pvz.notifications.models import StaffChannel, StaffKind
from pvz.notifications.push import push_enabled
from pvz.notifications.selectors import staff_messages, staff_preferences, staff_unread_count
from pvz.notifications.staff_services import staff_messages_mark_read, staff_preferences_save

router = Router(tags=["notifications"])


class MessagesQuery(Schema):
    limit: int = Field(default=50, ge=1, le=200)


class StaffMessageOut(Schema):
    id: int
    kind: StaffKind
    point_id: int | None
    title: str
    text: str
    link: str
    created_at: dt.datetime = Field(description="In the message's point's timezone (platform one without).")
    read_at: dt.datetime | None


class MessagesOut(Schema):
    unread: int
    messages: list[StaffMessageOut]


class MarkedOut(Schema):
    marked: int = Field(description="How many unread messages became read.")


class ChoiceIn(Schema):
    kind: StaffKind
    channel: StaffChannel
    enabled: bool


class PreferencesIn(Schema):
    choices: list[ChoiceIn] = Field(
        default_factory=list,
        max_length=len(StaffKind) * len(StaffChannel),
        description="Kind × channel switches to set; any not listed keep their current value.",
    )
    quiet_start: dt.time | None = Field(
        default=None, description="Local time in the message's point's timezone, inclusive; with quiet_end."
    )
    quiet_end: dt.time | None = Field(
        default=None, description="Exclusive; earlier than quiet_start spans midnight. Both null: none."
    )


class PreferencesOut(Schema):
    choices: list[ChoiceIn]
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    push_enabled: bool = Field(description="False while the server has no VAPID keys.")
    vapid_public_key: str = Field(
        description="For PushManager.subscribe(applicationServerKey); empty if off."
    )


def _preferences_out(request: HttpRequest) -> PreferencesOut:
    preferences = staff_preferences(user=caller(request))
    quiet = preferences.quiet_hours
    return PreferencesOut(
        choices=[
            ChoiceIn(kind=StaffKind(kind), channel=StaffChannel(channel), enabled=on)
            for (kind, channel), on in preferences.enabled.items()
        ],
        quiet_start=quiet.start if quiet else None,
        quiet_end=quiet.end if quiet else None,
        push_enabled=push_enabled(),
        vapid_public_key=settings.PVZ_VAPID_PUBLIC_KEY if push_enabled() else "",
    )


@router.get(
    "/me/notifications",
    response={200: MessagesOut, **SELF_READ_ERRORS, 422: ErrorOut},
    operation_id="me_notifications_list",
    summary="The caller's staff notifications",
    description="Newest first, with the number still unread. In-app messages never wait for quiet hours.",
)
@requires_sign_in
def me_notifications_list(request: HttpRequest, query: Query[MessagesQuery]) -> MessagesOut:
    user = caller(request)
    rows = list(staff_messages(user=user)[: query.limit])
    return MessagesOut(
        unread=staff_unread_count(user=user),
        messages=[
            StaffMessageOut(
                id=row.pk,
                kind=StaffKind(row.kind),
                point_id=row.point_id,
                title=row.title,
                text=row.text,
                link=row.link,
                created_at=row.created_at.astimezone(row.point.tz) if row.point else row.created_at,
                read_at=row.read_at.astimezone(row.point.tz) if row.point and row.read_at else row.read_at,
            )
            for row in rows
        ],
    )


@router.post(
    "/me/notifications/read",
    response={200: MarkedOut, **SELF_WRITE_ERRORS},
    operation_id="me_notifications_read",
    summary="Mark all the caller's notifications read",
)
@requires_sign_in
def me_notifications_read(request: HttpRequest) -> MarkedOut:
    return MarkedOut(marked=staff_messages_mark_read(user=caller(request)))


@router.get(
    "/me/notifications/preferences",
    response={200: PreferencesOut, **SELF_READ_ERRORS},
    operation_id="me_notification_preferences_get",
    summary="The caller's notification channels and quiet hours",
    description="Every kind × channel with its current value (push on and e-mail off unless chosen).",
)
@requires_sign_in
def me_notification_preferences_get(request: HttpRequest) -> PreferencesOut:
    return _preferences_out(request)


@router.put(
    "/me/notifications/preferences",
    response={200: PreferencesOut, **SELF_WRITE_ERRORS},
    operation_id="me_notification_preferences_set",
    summary="Set the caller's notification channels and quiet hours",
    description="Quiet hours need both ends, different (else 422 VALIDATION_FAILED); both null removes them.",
)
@requires_sign_in
def me_notification_preferences_set(request: HttpRequest, body: PreferencesIn) -> PreferencesOut:
    staff_preferences_save(
        user=caller(request),
        enabled={(choice.kind.value, choice.channel.value): choice.enabled for choice in body.choices},
        quiet_start=body.quiet_start,
        quiet_end=body.quiet_end,
    )
    return _preferences_out(request)
