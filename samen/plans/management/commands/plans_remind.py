"""`manage.py plans_remind`: remind team members of overdue reactions (for cron, e.g. hourly)."""

from django.core.management.base import BaseCommand

from samen.plans.actions import remind_overdue
from samen.plans.tasks import remind_overdue as remind_task


class Command(BaseCommand):
    help = "E-mail the owners of overdue plan reactions (once per due date). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Run here instead of enqueueing the task.")

    def handle(self, *args, now=False, **options):
        if now:
            self.stdout.write(f"{remind_overdue()} reminder(s) sent")
        else:
            remind_task.enqueue()
            self.stdout.write("reminder task enqueued")
