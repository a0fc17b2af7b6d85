"""django-tasks-db's real `db_worker`, made to stop dead at a known point in a task, for test_worker_crash.py.

Run as `python -m samen.reports.tests.crashing_worker MARKER N [db_worker options]`. It starts the
`db_worker` command exactly as `manage.py db_worker` does, with one addition: when the routing task
has stored the N-th auto-reply, inside the routing transaction (so that report and reply are written
but not committed), it writes the file MARKER and sleeps there. The test then kills it with SIGKILL,
with work provably in flight: the claim on the task (RUNNING), the claim on the message and the
uncommitted report and reply.
"""

import os
import sys
import time
from pathlib import Path


def main() -> None:
    marker, pause_at, *worker_args = sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samen.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line
    from django.db import connection
    from django.db.models.signals import post_save

    from samen.messaging.models import OutboundMessage

    stored = 0

    def stop_here(sender, instance, created, **kwargs):
        nonlocal stored
        if not created:
            return
        stored += 1
        if stored == int(pause_at):
            assert connection.in_atomic_block, "the reply should be stored inside the routing transaction"
            Path(marker).write_text(str(instance.in_reply_to_id))
            time.sleep(600)  # until SIGKILL

    post_save.connect(stop_here, sender=OutboundMessage, weak=False)
    execute_from_command_line([sys.argv[0], "db_worker", *worker_args])


if __name__ == "__main__":
    main()
