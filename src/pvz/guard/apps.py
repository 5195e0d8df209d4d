from django.apps import AppConfig


class GuardConfig(AppConfig):
    name = "pvz.guard"
    label = "guard"
