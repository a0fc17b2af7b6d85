from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GivingConfig(AppConfig):
    name = "samen.giving"
    label = "giving"
    verbose_name = _("Giving")

    def ready(self):
        from samen.outreach import scopes

        from .models import Campaign
        from .outreach import RULES

        scopes.register(Campaign, RULES)
