from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pvz.accounts"
    label = "accounts"
