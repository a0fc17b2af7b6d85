"""Crowdsourced plans: sections, reactions, suggested edits, questions to the crowd."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "samen.plans"
    label = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from . import intake

        # Replies to plan notifications become reactions (reply tokens, see mail.py).
        intake.register()
