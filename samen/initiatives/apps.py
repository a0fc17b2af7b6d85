from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "samen.initiatives"
    label = "initiatives"
    verbose_name = _("Initiatives")

    def ready(self):
        from . import signals  # noqa: F401 - connects the receivers that keep page_version current
