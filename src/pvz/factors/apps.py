from django.apps import AppConfig


class FactorsConfig(AppConfig):
    name = "pvz.factors"
    label = "factors"
