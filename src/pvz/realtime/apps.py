from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "pvz.realtime"
    label = "realtime"
