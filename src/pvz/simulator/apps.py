from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "pvz.simulator"
    label = "simulator"
