from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "pvz.partners"
    label = "partners"
