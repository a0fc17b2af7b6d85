"""CSV imports from the web, run in the background (Django's Tasks framework).

The import page stores the upload as an `ImportJob` (the file in private storage) and enqueues
`run_import` after the transaction commits; the coordinator watches the job's progress page, which
refreshes itself without JavaScript and ends with the row-by-row report.

Safe to run twice, and safe if the worker dies midway:
- the task claims the job with a conditional UPDATE (queued → running), so two workers never run
  one job at once; a job whose worker stopped sending heartbeats for `STALE_AFTER` may be claimed
  again (from the progress page's "Carry on" button, or by the task enqueued again);
- the import commits batch by batch and skips rows already on the map, so a rerun finishes the
  rest without duplicates, and the map's cluster counts are rebuilt at its end.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from .csv_import import CsvFormatError, ImportSummary, import_reports
from .models import ImportJob, ReportMap

logger = logging.getLogger(__name__)

# A running job whose heartbeat (every batch) is older than this has lost its worker.
STALE_AFTER = timedelta(minutes=3)


def start_import(report_map: ReportMap, upload, *, actor, options: dict) -> ImportJob:
    """Keep the uploaded file and queue its import; the caller redirects to the progress page."""
    job = ImportJob(report_map=report_map, created_by=actor, filename=upload.name[-255:], options=options)
    job.file.save(upload.name[-80:], upload, save=False)
    job.save()
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def is_stale(job: ImportJob) -> bool:
    return (
        job.state == ImportJob.State.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at < timezone.now() - STALE_AFTER
    )


def retry(job: ImportJob) -> bool:
    """Queue a failed or stalled job again (the rows it stored stay and are skipped). False if not."""
    now = timezone.now()
    requeued = (
        ImportJob.objects.filter(pk=job.pk)
        .exclude(file="")
        .filter(
            Q(state=ImportJob.State.FAILED)
            | Q(state=ImportJob.State.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        )
        .update(state=ImportJob.State.QUEUED, error="", heartbeat_at=now)
    )
    if requeued:
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return bool(requeued)


@task
def run_import(job_id: int) -> str:
    """Import one job's file. Returns what happened: "done", "failed" or "skipped" (not ours to run)."""
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(state=ImportJob.State.QUEUED)
            | Q(state=ImportJob.State.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        )
        .update(state=ImportJob.State.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    job = ImportJob.objects.select_related("report_map", "created_by").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id, state=ImportJob.State.RUNNING).update(
            rows_done=done, rows_total=total, heartbeat_at=timezone.now()
        )

    options = job.options or {}
    try:
        with job.file.open("rb") as handle:
            summary = import_reports(
                job.report_map,
                handle.read(),  # not kept here: the import lets go of the bytes once decoded
                filename=job.filename,
                actor=job.created_by,
                languages=options.get("languages") or (),
                time_zone=options.get("time_zone") or None,
                source=options.get("source") or "",
                progress=progress,
            )
    except CsvFormatError as error:
        _finish(job, ImportJob.State.FAILED, error=str(error))
        return "failed"
    except Exception:
        logger.exception("CSV import %s stopped", job_id)
        _finish(
            job,
            ImportJob.State.FAILED,
            error=_(
                "The import stopped on an unexpected error. The rows stored so far are kept; "
                "trying again carries on without making duplicates."
            ),
            keep_file=True,
        )
        return "failed"
    if job.attempts > 1:
        summary.notes.append(
            _(
                "The import was interrupted and carried on: the rows stored before the interruption "
                "are counted as already imported."
            )
        )
    _finish(job, ImportJob.State.DONE, summary=summary)
    return "done"


def _finish(
    job: ImportJob, state: str, *, summary: ImportSummary | None = None, error: str = "", keep_file=False
) -> None:
    fields = {"state": state, "error": error, "finished_at": timezone.now()}
    if summary is not None:
        fields |= {"summary": summary.as_dict(), "rows_done": summary.rows, "rows_total": summary.rows}
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    if not keep_file and job.file:
        # The report is kept; the file (which may hold reporters' contacts) is not needed any more.
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
