from django.core.management.base import BaseCommand

from samen.volunteering.tasks import weekly_digest


class Command(BaseCommand):
    help = "Enqueue the weekly digest of new matching tasks (for cron, once a week; safe to run twice)."

    def handle(self, *args, **options):
        weekly_digest.enqueue()
        self.stdout.write("Enqueued the weekly volunteering digest.")
