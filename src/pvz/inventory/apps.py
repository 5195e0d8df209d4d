from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "pvz.inventory"
    label = "inventory"
