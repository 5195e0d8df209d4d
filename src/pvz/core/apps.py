from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pvz.core"
    label = "core"
