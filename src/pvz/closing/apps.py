from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "pvz.closing"
    label = "closing"
