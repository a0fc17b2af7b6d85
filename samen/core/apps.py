from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "samen.core"
    label = "core"
    verbose_name = _("Samen core")

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
