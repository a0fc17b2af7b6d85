"""Delete the clicks (touches) older than the retention period: for cron, once a night.

A touch holds a visitor id, a device type, a referring host and, for a member, who clicked. Once it
is older than the attribution window nothing can be credited to it any more, and what the
dashboards show lives on without it: clicks and visitors per day in DailyCount, and every conversion
keeps its own copy of its touches' message, variant, channel and promoter. Safe to run twice.
"""

import sys
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from samen.outreach.attribution import ATTRIBUTION_WINDOW
from samen.outreach.tracking import purge_touches


class Command(BaseCommand):
    help = "Delete outreach touches older than SAMEN_OUTREACH_TOUCH_DAYS (180) days; figures stay."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=getattr(settings, "SAMEN_OUTREACH_TOUCH_DAYS", 180),
            help="Keep touches of the last this many days (at least the 90-day attribution window).",
        )

    def handle(self, *args, **options):
        days = options["days"]
        if days < ATTRIBUTION_WINDOW.days:
            raise CommandError(
                _(
                    "Touches of the last %(window)d days are still needed to credit conversions; keep at least that."
                )
                % {"window": ATTRIBUTION_WINDOW.days}
            )
        stream = options.get("stderr") or sys.stderr
        bar = tqdm(
            file=stream, unit="touch", desc=_("Deleting old touches"), dynamic_ncols=True, mininterval=0.2
        )

        def progress(done: int, total: int) -> None:
            if bar.total != total:
                bar.reset(total=total)
            bar.update(done - bar.n)

        try:
            deleted = purge_touches(older_than=timedelta(days=days), progress=progress)
        finally:
            bar.close()
        self.stdout.write(
            _("Deleted %(count)d touches older than %(days)d days.") % {"count": deleted, "days": days}
        )
