from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pvz.web"
    label = "web"
