from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "pvz.inbound"
    label = "inbound"
