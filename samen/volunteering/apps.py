from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteeringConfig(AppConfig):
    name = "samen.volunteering"
    label = "volunteering"
    verbose_name = _("Volunteering")

    def ready(self):
        # People with a basic phone join and log hours by SMS (see sms.py); STOP is messaging's.
        from samen.messaging import router

        from . import sms

        router.register_keyword("JOIN", sms.handle_join)
        router.register_keyword("HOURS", sms.handle_hours)
