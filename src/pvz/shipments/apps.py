from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "pvz.shipments"
    label = "shipments"
