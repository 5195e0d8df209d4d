from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "pvz.backups"
    label = "backups"
