from django.apps import AppConfig


class CounterConfig(AppConfig):
    name = "pvz.counter"
    label = "counter"
