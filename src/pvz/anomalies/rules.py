"""Rules over counter operations, each a small function: the details of a firing, or None below its
threshold. Counting restarts after each flag of the same rule for the same operator and point, so one
burst raises one flag, not one per further event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pvz.accounts.models import User
from pvz.anomalies.conf import value
from pvz.anomalies.models import AnomalyFlag, Rule
from pvz.core.sql import db_datetime, fetch_one
from pvz.counter.models import CodeKind, CustomerCode, IssueSession, SessionStatus, Verification
from pvz.network.models import PickupPoint

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _since(*, rule: Rule, user: User, point: PickupPoint, now: dt.datetime, minutes: int) -> dt.datetime:
    """The start of the rule's window: `minutes` ago, or the rule's last flag for this operator if later."""
    last = (
        AnomalyFlag.objects.filter(
            user=user, point=point, rule=rule, created_at__gt=now - dt.timedelta(minutes=minutes)
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last if last is not None else now - dt.timedelta(minutes=minutes)


def _fires(count: int, threshold: int, minutes: int) -> dict[str, Any] | None:
    if count < threshold:
        return None
    return {"count": count, "threshold": threshold, "minutes": minutes}


def rule_sms_verifications(*, user: User, point: PickupPoint, now: dt.datetime) -> dict[str, Any] | None:
    """Customers verified by SMS code in sessions opened by `user` at `point`: N within M minutes."""
    threshold = int(value("PVZ_ANOMALY_SMS_VERIFICATIONS"))
    minutes = int(value("PVZ_ANOMALY_SMS_VERIFICATIONS_MINUTES"))
    since = _since(rule=Rule.SMS_VERIFICATIONS, user=user, point=point, now=now, minutes=minutes)
    sessions = IssueSession.objects.filter(point=point, opened_by=user).values("pk")
    count = CustomerCode.objects.filter(
        kind=CodeKind.ISSUE, subject_id__in=sessions, used_at__gt=since, used_at__lte=now
    ).count()
    return _fires(count, threshold, minutes)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def point_is_open(*, point: PickupPoint, at: dt.datetime) -> bool | None:
    """Whether `point` is open at `at` by its opening hours ({"mon": ["09:00", "21:00"], ..., "sun": null},
    in the point's timezone; opening minute included, closing minute excluded; "24:00" closes at
    midnight). None when the point has no opening hours."""
    hours = point.opening_hours
    if not isinstance(hours, dict) or not hours:
        return None
    local = at.astimezone(point.tz)
    day = hours.get(WEEKDAYS[local.weekday()])
    if not day:
        return False
    opens, closes = _minutes(day[0]), _minutes(day[1])
    now_minutes = local.hour * 60 + local.minute
    return opens <= now_minutes < closes


def rule_outside_hours(*, session: IssueSession, now: dt.datetime) -> dict[str, Any] | None:
    """Parcels issued while the point is closed by its opening hours: fires at once (when enabled), at
    most once an hour per operator while the earlier flag is open."""
    if not value("PVZ_ANOMALY_OUTSIDE_HOURS") or session.issued_count == 0:
        return None
    if point_is_open(point=session.point, at=now) is not False:
        return None
    if AnomalyFlag.objects.filter(
        user=session.finished_by,
        point=session.point,
        rule=Rule.OUTSIDE_HOURS,
        resolved_at=None,
        created_at__gt=now - dt.timedelta(hours=1),
    ).exists():
        return None
    local = now.astimezone(session.point.tz)
    return {"session_id": session.pk, "issued": session.issued_count, "local_time": local.strftime("%H:%M")}


# The two counting rules of a finish in one statement: each counts from its window's start or from the
# rule's last flag for that operator, if later (as `_since`), by the same indexes as the ORM's queries did.
_AFTER_ISSUE = """
SELECT
  (SELECT COALESCE(SUM(s.typed_issued), 0) FROM counter_issuesession s
    WHERE s.point_id = %s AND s.finished_by_id = %s AND s.typed_issued > 0
      AND s.finished_at > COALESCE(
        (SELECT MAX(f.created_at) FROM anomalies_anomalyflag f
          WHERE f.user_id = %s AND f.point_id = %s AND f.rule = %s AND f.created_at > %s), %s)),
  (SELECT COUNT(*) FROM counter_issuesession s
    WHERE s.point_id = %s AND s.opened_by_id = %s AND s.verification = %s
      AND s.opened_at > COALESCE(
        (SELECT MAX(f.created_at) FROM anomalies_anomalyflag f
          WHERE f.user_id = %s AND f.point_id = %s AND f.rule = %s AND f.created_at > %s), %s))
"""


def _issue_counts(
    *, point_id: int, finisher_id: int, opener_id: int, now: dt.datetime, unscanned: int, manual: int
) -> tuple[int, int]:
    """Parcels issued typed-in (not scanned) by the finisher within `unscanned` minutes, and sessions
    opened with a typed pickup code (not the scanned QR) by the opener within `manual` minutes, each
    counted since the rule's last flag for that operator if later."""
    typed_since = db_datetime(now - dt.timedelta(minutes=unscanned))
    manual_since = db_datetime(now - dt.timedelta(minutes=manual))
    row = fetch_one(
        _AFTER_ISSUE,
        [
            point_id, finisher_id,
            finisher_id, point_id, Rule.UNSCANNED_ISSUES.value, typed_since, typed_since,
            point_id, opener_id, Verification.PICKUP_CODE.value,
            opener_id, point_id, Rule.MANUAL_CODES.value, manual_since, manual_since,
        ],
    )  # fmt: skip
    assert row is not None
    return int(row[0]), int(row[1])


Fired = tuple[Rule, User, dict[str, Any]]


def rules_after_issue(*, session: IssueSession, now: dt.datetime) -> list[Fired]:
    """The rules that fire now that `session` has finished, each with the operator it flags: parcels issued
    typed in, not scanned (N within M minutes, the finisher); sessions opened with a typed pickup code
    (N within M minutes, the opener); issuing outside opening hours (the finisher)."""
    if session.status != SessionStatus.FINISHED or session.finished_by is None:
        return []
    finisher, opener, point = session.finished_by, session.opened_by, session.point
    typed_threshold, typed_minutes = (
        int(value("PVZ_ANOMALY_UNSCANNED_ISSUES")),
        int(value("PVZ_ANOMALY_UNSCANNED_MINUTES")),
    )
    manual_threshold, manual_minutes = (
        int(value("PVZ_ANOMALY_MANUAL_CODES")),
        int(value("PVZ_ANOMALY_MANUAL_CODES_MINUTES")),
    )
    typed, manual = _issue_counts(
        point_id=point.pk,
        finisher_id=finisher.pk,
        opener_id=session.opened_by_id,
        now=now,
        unscanned=typed_minutes,
        manual=manual_minutes,
    )
    fired = [
        (Rule.UNSCANNED_ISSUES, finisher, _fires(typed, typed_threshold, typed_minutes)),
        (Rule.OUTSIDE_HOURS, finisher, rule_outside_hours(session=session, now=now)),
    ]
    if manual >= manual_threshold:  # the opener is read only for a flag
        fired.append((Rule.MANUAL_CODES, opener, _fires(manual, manual_threshold, manual_minutes)))
    return [(rule, user, details) for rule, user, details in fired if details is not None]
