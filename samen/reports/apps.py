from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "samen.reports"
    label = "reports"
    verbose_name = _("Crowd reports")

    def ready(self):
        # Inbound SMS and e-mail reach reports through the messaging router (see intake.py).
        from . import intake  # noqa: F401
