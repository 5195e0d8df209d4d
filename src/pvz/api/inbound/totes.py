"""Inbound endpoint of a point's totes: how many it holds in each status."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from pvz.accounts.roles import Perm
from pvz.api.errors import READ_BY_ID_ERRORS
from pvz.api.inbound.schemas import ToteBalanceOut
from pvz.api.permissions import point_of, requires
from pvz.inbound import selectors

router = Router()


@router.get(
    "/points/{point_id}/totes/balance",
    response={200: ToteBalanceOut, **READ_BY_ID_ERRORS},
    operation_id="inbound_tote_balance",
    summary="Totes at a point by status",
)
@requires(Perm.VIEW_POINT)
def tote_balance(request: HttpRequest, point_id: int) -> ToteBalanceOut:
    point = point_of(request)
    return ToteBalanceOut(**selectors.tote_balance(point=point))
