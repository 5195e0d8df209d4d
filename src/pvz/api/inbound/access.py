"""Who may call the inbound endpoints: the caller's carriage or acceptance for a write (404 for another
point's, 403 without *operate* there), and the errors reads and writes answer with."""

from __future__ import annotations

from django.http import HttpRequest

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import ErrorOut
from pvz.api.permissions import require_perm
from pvz.inbound import selectors
from pvz.inbound.models import Acceptance, Carriage

READ_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def carriage_for_write(request: HttpRequest, carriage_id: int) -> tuple[User, Carriage]:
    user = caller(request)
    carriage = selectors.carriage_get(user=user, carriage_id=carriage_id)
    require_perm(user=user, perm=Perm.OPERATE, point=carriage.point)
    return user, carriage


def acceptance_for_write(request: HttpRequest, acceptance_id: int) -> tuple[User, Acceptance]:
    user = caller(request)
    acceptance = selectors.acceptance_get(user=user, acceptance_id=acceptance_id)
    require_perm(user=user, perm=Perm.OPERATE, point=acceptance.carriage.point)
    return user, acceptance
