"""«Возвратный поток»: the point's return-flow board. Read-only; parcels still to take to the return zone
are scanned there on the scan-out screen (`web/views/expiry.py`), which serves every status of the flow."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pvz.accounts.roles import Perm
from pvz.shipments.returnflow import return_flow_board
from pvz.web.permissions import AtPointRequest, require_point_perm


@require_point_perm(Perm.OPERATE)
@require_GET
def returnflow_board(request: AtPointRequest) -> HttpResponse:
    board = return_flow_board(user=request.user, point=request.point)
    return render(
        request,
        "web/returnflow/board.html",
        {"board": board, "overdue_days": board.overdue_after.days},
    )
