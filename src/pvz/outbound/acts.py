"""The hand-over act (акт приёма-передачи) of a return carriage, as plain JSON-ready data.

Built once, at the hand-over, inside its transaction, and stored on the `Dispatch` row: the act is what
was handed over at that moment, whatever happens to the parcels and totes later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pvz.inbound.models import Carriage
from pvz.outbound.models import Dispatch, DispatchLine, DispatchTote, DispatchToteKind


def handover_act_build(*, carriage: Carriage, dispatch: Dispatch, at: dt.datetime) -> dict[str, Any]:
    """The act of `carriage` handed over at `at` (times in the point's timezone, ISO 8601)."""
    point, partner = carriage.point, carriage.partner
    totes = list(DispatchTote.objects.filter(carriage=carriage).select_related("tote").order_by("pk"))
    lines = list(
        DispatchLine.objects.filter(carriage=carriage).select_related("shipment").order_by("tote_id", "pk")
    )
    parcels_of: dict[int, list[dict[str, str]]] = {}
    for line in lines:
        parcels_of.setdefault(line.tote_id, []).append(
            {"posting_number": line.shipment.posting_number, "barcode": line.shipment.barcode}
        )
    returns = [
        {
            "barcode": t.tote.barcode,
            "seal_number": t.seal_number,
            "parcels": parcels_of.get(t.pk, []),
        }
        for t in totes
        if t.kind == DispatchToteKind.RETURNS
    ]
    empty = [t.tote.barcode for t in totes if t.kind == DispatchToteKind.EMPTY]
    operator = dispatch.handed_over_by
    return {
        "number": carriage.number,
        "point": {"code": point.code, "name": point.name, "address": point.address},
        "partner": {"code": partner.code, "name": partner.name},
        "courier_name": dispatch.courier_name,
        "method": dispatch.method,
        "created_at": dispatch.created_at.astimezone(point.tz).isoformat(),
        "handed_over_at": at.astimezone(point.tz).isoformat(),
        "operator": (operator.full_name or operator.phone) if operator else "",
        "totes": returns,
        "empty_totes": empty,
        "counts": {"parcels": len(lines), "totes": len(returns), "empty_totes": len(empty)},
    }
