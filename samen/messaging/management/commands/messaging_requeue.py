"""Pick up what a crash or a lost task left behind: for cron, every few minutes. Safe to run twice.

In this order, so that nothing is enqueued twice:
1. task claims whose worker died (django-tasks-db rows RUNNING too long) go back to the queue;
2. inbound messages whose routing never finished are routed again (unless their task is queued);
3. outbound messages still queued long after they were due get their delivery task again;
4. SMSSync messages a phone never confirmed go back to its queue.
"""

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from samen.core import taskqueue
from samen.core.progress import progress_bar
from samen.messaging.gateways import smssync
from samen.messaging.tasks import requeue_stuck, requeue_unrouted


class Command(BaseCommand):
    help = (
        "Run again the tasks whose worker died, route inbound messages whose routing never finished, "
        "enqueue delivery for outbound messages that lost their task, and put SMSSync messages a phone "
        "never confirmed back in its queue (run from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=10,
            help="Only messages waiting longer than this: inbound never routed, outbound still queued.",
        )
        parser.add_argument(
            "--running-minutes",
            type=int,
            default=30,
            help="A task running longer than this is taken as lost with its worker and runs again "
            "(longer than any task takes; a task wrongly taken for lost only runs twice).",
        )
        parser.add_argument(
            "--unconfirmed-minutes",
            type=int,
            default=None,
            help="SMSSync messages handed to a phone longer ago than this without a 'sent' report "
            f"go back to the queue (default {int(smssync.CONFIRM_TIMEOUT.total_seconds() // 60)}).",
        )

    def handle(self, *args, minutes, running_minutes, unconfirmed_minutes, **options):
        # tqdm redraws its line with carriage returns; Django's OutputWrapper would add a newline to
        # every write, so the bar gets the raw stream. It shows on a terminal only (disable=None), so
        # cron mails carry the counts and no bar.
        stream = options.get("stderr") or sys.stderr
        waited = timedelta(minutes=minutes)

        with progress_bar(stream, _("Lost tasks"), "task") as progress:
            requeued, given_up = taskqueue.recover_lost_claims(
                running_for=timedelta(minutes=running_minutes), progress=progress
            )
        self.stdout.write(
            _("Tasks: %(requeued)d lost claim(s) back in the queue, %(failed)d given up")
            % {"requeued": requeued, "failed": given_up}
        )

        with progress_bar(stream, _("Inbound"), "message") as progress:
            enqueued, failed = requeue_unrouted(received_for=waited, progress=progress)
        self.stdout.write(
            _("Inbound: %(enqueued)d unrouted message(s) enqueued again, %(failed)d failed")
            % {"enqueued": enqueued, "failed": failed}
        )

        with progress_bar(stream, _("Outbound"), "message") as progress:
            count = requeue_stuck(queued_for=waited, progress=progress)
        self.stdout.write(_("Outbound: %(count)d queued message(s) enqueued again") % {"count": count})

        older_than = None if unconfirmed_minutes is None else timedelta(minutes=unconfirmed_minutes)
        requeued, failed = smssync.requeue_unconfirmed(older_than=older_than)
        self.stdout.write(
            _("SMSSync: %(requeued)d unconfirmed message(s) queued again, %(failed)d failed")
            % {"requeued": requeued, "failed": failed}
        )
