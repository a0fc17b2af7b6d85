from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "samen.reports"
    label = "reports"
    verbose_name = _("Crowd reports")

    def ready(self):
        # Inbound SMS and e-mail reach reports through the messaging router (see intake.py).
        from . import intake, notify, signals, tasks  # noqa: F401

        # Subscriptions and webhooks hear about publishing without the review code knowing them.
        signals.report_published.connect(tasks.on_report_published, dispatch_uid="reports.notify")
        # STOP belongs to whoever handles keywords platform-wide; until some app does, reports
        # handles it, so that a subscriber can always stop alerts by SMS.
        notify.register_stop_keyword()
