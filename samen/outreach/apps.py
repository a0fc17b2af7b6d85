"""Tracked messages, links, touches and conversions."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "samen.outreach"
    label = "outreach"
    verbose_name = _("Outreach and measurement")

    def ready(self):
        from allauth.account.signals import user_signed_up
        from django.contrib.auth.signals import user_logged_in

        from . import receivers

        user_signed_up.connect(receivers.on_signed_up, dispatch_uid="outreach.signed_up")
        user_logged_in.connect(receivers.on_logged_in, dispatch_uid="outreach.logged_in")
