from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "pvz.shipments"
    label = "shipments"

    def ready(self) -> None:
        # The fan-out of webhooks fills in order numbers through this, without importing shipments.
        from pvz.shipments.outbox import order_numbers, place_order_number
        from pvz.webhooks.lookups import Lookup, lookup_register

        lookup_register("order_id", Lookup(order_numbers, place_order_number))
