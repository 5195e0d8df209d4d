from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "pvz.network"
    label = "network"
