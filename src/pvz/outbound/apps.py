from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "pvz.outbound"
    label = "outbound"
