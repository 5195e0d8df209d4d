from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "pvz.returns"
    label = "returns"
