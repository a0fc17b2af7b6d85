from datetime import timedelta

from django.core.management.base import BaseCommand

from samen.messaging.gateways import smssync
from samen.messaging.tasks import requeue_stuck


class Command(BaseCommand):
    help = (
        "Enqueue delivery for outbound messages that are queued but have no pending task, and put "
        "SMSSync messages a phone never confirmed back in its queue (run from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10, help="Only QUEUED messages older than this.")
        parser.add_argument(
            "--unconfirmed-minutes",
            type=int,
            default=None,
            help="SMSSync messages handed to a phone longer ago than this without a 'sent' report "
            f"go back to the queue (default {int(smssync.CONFIRM_TIMEOUT.total_seconds() // 60)}).",
        )

    def handle(self, *args, minutes, unconfirmed_minutes, **options):
        count = requeue_stuck(queued_for=timedelta(minutes=minutes))
        self.stdout.write(f"enqueued {count} message(s)")
        older_than = None if unconfirmed_minutes is None else timedelta(minutes=unconfirmed_minutes)
        requeued, failed = smssync.requeue_unconfirmed(older_than=older_than)
        self.stdout.write(f"SMSSync: {requeued} unconfirmed message(s) queued again, {failed} failed")
