"""Who may use a counter endpoint: the caller must hold *operate* at the point, or at the session's point
(another point's session is 404, never 403)."""

from __future__ import annotations

from django.http import HttpRequest

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.permissions import point_for
from pvz.counter import selectors
from pvz.counter.models import IssueSession
from pvz.network.models import PickupPoint


def point_operated(request: HttpRequest, point_id: int) -> tuple[User, PickupPoint]:
    user = caller(request)
    return user, point_for(user=user, point_id=point_id, perm=Perm.OPERATE)


def session_operated(request: HttpRequest, session_id: int) -> tuple[User, IssueSession]:
    user = caller(request)
    return user, selectors.session_get(user=user, session_id=session_id, perm=Perm.OPERATE)
