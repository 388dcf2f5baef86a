from django.apps import AppConfig


class CirculationConfig(AppConfig):
    name = "circulation"
    verbose_name = "Circulation"
