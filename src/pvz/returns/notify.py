"""The customer's messages about their return, composed here and sent through `notifications`."""

from __future__ import annotations

from pvz.notifications.models import Notification, NotificationKind
from pvz.notifications.services import customer_notify, local_date
from pvz.returns.models import CustomerReturn


def notification_return_accepted(*, customer_return: CustomerReturn) -> Notification:
    """The customer's "return accepted" SMS, once per return, in the return's transaction."""
    shipment = customer_return.shipment
    point = customer_return.point
    return customer_notify(
        kind=NotificationKind.RETURN_ACCEPTED,
        key=f"{NotificationKind.RETURN_ACCEPTED}:{customer_return.pk}",
        customer=customer_return.customer,
        shipment=shipment,
        context={
            "order": shipment.order.number,
            "point": point.name,
            "date": local_date(customer_return.accepted_at, point),
            "number": customer_return.number,
            "partner": shipment.partner.name,
        },
    )
