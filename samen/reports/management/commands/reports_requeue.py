"""Pick up webhook deliveries a crash or a lost task left behind: for cron, every few minutes, next to
`messaging_requeue`. Safe to run twice.

1. Deliveries stuck in SENDING past tasks.CLAIM_TIMEOUT (their worker died) are queued and enqueued
   again, or fail when they are out of tries. The receiver may get such a delivery twice, with the
   same X-Samen-Delivery id.
2. Deliveries still QUEUED long after they were due (their retry task was lost) are enqueued again.
"""

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from samen.core.progress import progress_bar
from samen.reports import tasks


class Command(BaseCommand):
    help = (
        "Send again webhook deliveries whose worker died while sending, and enqueue those whose retry "
        "was lost (run from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=10,
            help="Only QUEUED deliveries made longer ago than this are enqueued again.",
        )

    def handle(self, *args, minutes, **options):
        stream = options.get("stderr") or sys.stderr
        with progress_bar(stream, _("Webhooks"), "delivery") as progress:
            requeued, failed = tasks.recover_deliveries(progress=progress)
            enqueued = tasks.requeue_deliveries(queued_for=timedelta(minutes=minutes), progress=progress)
        self.stdout.write(
            _("Webhooks: %(requeued)d stuck delivery(ies) sent again, %(failed)d failed")
            % {"requeued": requeued, "failed": failed}
        )
        self.stdout.write(_("Webhooks: %(count)d queued delivery(ies) enqueued again") % {"count": enqueued})
