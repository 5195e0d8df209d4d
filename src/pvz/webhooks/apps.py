from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "pvz.webhooks"
    label = "webhooks"
