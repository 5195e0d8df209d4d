from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "pvz.staff"
    label = "staff"
