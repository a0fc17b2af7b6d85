from datetime import timedelta

from django.core.management.base import BaseCommand

from samen.messaging.tasks import requeue_stuck


class Command(BaseCommand):
    help = "Enqueue delivery for outbound messages that are queued but have no pending task (run from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10, help="Only QUEUED messages older than this.")

    def handle(self, *args, minutes, **options):
        count = requeue_stuck(queued_for=timedelta(minutes=minutes))
        self.stdout.write(f"enqueued {count} message(s)")
