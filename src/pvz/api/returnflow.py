"""The return-flow board («Возвратный поток») of a point: what is on its way back to the partners.

Scoping: a point the caller does not work at is 404 NOT_FOUND; reading it needs `operate` there (else 403).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS
from pvz.api.permissions import point_of, requires
from pvz.shipments.returnflow import FlowGroup, FlowItem, return_flow_board
from pvz.shipments.statuses import Status

router = Router(tags=["return flow"])


class FlowPartnerOut(Schema):
    code: str
    name: str


class FlowItemOut(Schema):
    id: int
    posting_number: str
    barcode: str
    partner: FlowPartnerOut
    status: str = Field(description="AWAITING_DISPATCH, or EXPIRED / CANCELLED / REFUSED / DAMAGED, or LOST.")
    status_label: str
    stage: str = Field(
        description=(
            "awaiting: in the return zone, waiting for a return carriage; to_move: still to scan into the "
            "return zone; lost: not found at an inventory."
        )
    )
    cell: str | None = Field(description="Where it lies now (cell or special place).")
    reason_detail: str = Field(
        description="Refusal reason, the partner's cancellation reason or the damage note; may be empty."
    )
    entered_at: dt.datetime = Field(description="When it entered the flow (or was lost), point's timezone.")
    age_seconds: int = Field(description="Time since `entered_at`, in seconds.")
    overdue: bool = Field(description="In the flow for at least the threshold (lost parcels: always false).")


class FlowGroupOut(Schema):
    partner: FlowPartnerOut
    reason: str = Field(description="expired, refused, cancelled, damaged, customer_return or other.")
    reason_label: str
    count: int
    overdue: int
    items: list[FlowItemOut] = Field(description="Oldest first.")


class ReturnFlowOut(Schema):
    point_id: int
    now: dt.datetime = Field(description="The moment the ages are counted to, point's timezone.")
    overdue_after_days: float = Field(description="Threshold of `overdue` (setting, default 3 days).")
    awaiting: int
    to_move: int
    overdue: int
    groups: list[FlowGroupOut] = Field(description="By partner name, then by reason.")
    lost: list[FlowItemOut] = Field(description="«Утеряно»: LOST parcels of the point, oldest first.")


def _item_out(item: FlowItem) -> FlowItemOut:
    shipment = item.shipment
    return FlowItemOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        partner=FlowPartnerOut(code=shipment.partner.code, name=shipment.partner.name),
        status=shipment.status,
        status_label=str(Status(shipment.status).label),
        stage=str(item.stage),
        cell=shipment.cell.address if shipment.cell else None,
        reason_detail=item.reason_detail,
        entered_at=item.entered_at,
        age_seconds=int(item.age.total_seconds()),
        overdue=item.overdue,
    )


def _group_out(group: FlowGroup) -> FlowGroupOut:
    return FlowGroupOut(
        partner=FlowPartnerOut(code=group.partner.code, name=group.partner.name),
        reason=str(group.reason),
        reason_label=str(group.reason.label),
        count=len(group.items),
        overdue=group.overdue,
        items=[_item_out(item) for item in group.items],
    )


@router.get(
    "/points/{point_id}/return-flow",
    response={200: ReturnFlowOut, **READ_BY_ID_ERRORS},
    operation_id="return_flow_board",
    summary="The return flow of a point",
    description=(
        "«Возвратный поток»: every AWAITING_DISPATCH parcel of the point, plus the EXPIRED, CANCELLED, "
        "REFUSED and DAMAGED ones still to scan into the return zone, grouped by partner and by the reason "
        "they entered the flow, with their age; a parcel in the flow for at least the threshold is "
        "`overdue`. LOST parcels are listed apart."
    ),
)
@requires(Perm.OPERATE)
def return_flow_get(request: HttpRequest, point_id: int) -> ReturnFlowOut:
    user = caller(request)
    point = point_of(request)
    board = return_flow_board(user=user, point=point)
    return ReturnFlowOut(
        point_id=point.pk,
        now=board.now.astimezone(point.tz),
        overdue_after_days=board.overdue_after.total_seconds() / 86400,
        awaiting=board.awaiting,
        to_move=board.to_move,
        overdue=board.overdue,
        groups=[_group_out(group) for group in board.groups],
        lost=[_item_out(item) for item in board.lost],
    )
