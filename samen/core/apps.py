from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "samen.core"
    label = "core"
    verbose_name = "Samen core"
