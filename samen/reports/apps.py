from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "samen.reports"
    label = "reports"
    verbose_name = _("Crowd reports")

    def ready(self):
        # Inbound SMS and e-mail reach reports through the messaging router (see intake.py).
        from samen.messaging.signals import opted_out

        from . import intake, notify, signals, tasks, unmatched  # noqa: F401

        # Subscriptions and webhooks hear about publishing without the review code knowing them.
        signals.report_published.connect(tasks.on_report_published, dispatch_uid="reports.notify")
        # Messaging answers STOP for every feature; reports only ends that address's subscriptions.
        opted_out.connect(notify.on_opted_out, dispatch_uid="reports.opted_out")
