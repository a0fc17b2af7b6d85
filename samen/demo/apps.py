from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`. Sits on top: it may import every app, and nothing imports it."""

    name = "samen.demo"
    label = "demo"
    verbose_name = "Demo data"
