from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "pvz.onboarding"
    label = "onboarding"
