from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "pvz.notifications"
    label = "notifications"
