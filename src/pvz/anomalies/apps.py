from django.apps import AppConfig


class AnomaliesConfig(AppConfig):
    name = "pvz.anomalies"
    label = "anomalies"
