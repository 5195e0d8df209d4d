"""After a return carriage is handed over: the customers whose parcels went back uncollected are told."""

from __future__ import annotations

from django.db import transaction

from pvz.notifications.services import notification_returned_to_sender
from pvz.returns.models import CustomerReturn
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status


def notifications_returned_to_sender(*, shipment_ids: list[int]) -> int:
    """After a return carriage is handed over: tell each customer whose parcel went back uncollected
    (customers who returned a parcel themselves were told when the return was accepted)."""
    returned_by_customer = set(
        CustomerReturn.objects.filter(shipment_id__in=shipment_ids).values_list("shipment_id", flat=True)
    )
    shipments = (
        Shipment.objects.filter(
            pk__in=shipment_ids, status=Status.DISPATCHED, order__customer__anonymized_at=None
        )
        .exclude(pk__in=returned_by_customer)
        .select_related("order__customer", "point", "partner")
        .order_by("pk")
    )
    count = 0
    for shipment in shipments:
        with transaction.atomic():
            notification_returned_to_sender(shipment=shipment)
        count += 1
    return count
