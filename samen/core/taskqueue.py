"""The database task queue (django-tasks-db, the default backend): claims whose worker died, and what is queued.

django-tasks-db marks a task RUNNING when a worker claims it and records the outcome when the task
ends. A worker killed in the middle (SIGKILL, the kernel's out-of-memory killer, a power cut) never
records it, and no worker takes a RUNNING row again: the task is lost
(https://github.com/RealOrangeOne/django-tasks/issues/46). The library keeps no heartbeat, so a
claim counts as lost once it is older than any of Samen's tasks runs: `recover_lost_claims` puts
such rows back to READY, and the next free worker runs them again. Every task of Samen is safe to
run twice, so a slow task wrongly taken for lost costs a second run, never a second effect.

A task whose workers died MAX_CLAIMS times may be what kills them (memory, a crash in a library):
it is marked FAILED with `WorkerLost` instead, for a person to look at, rather than felling every
worker in turn.

Other backends keep their own books (rq moves a dead worker's jobs to its failed registry); for
them these functions find nothing and the callers fall back on their own rows' states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

# How many workers may die on one task before it is given up.
MAX_CLAIMS = 3
# Ids are looked up in chunks, to keep each query's parameter list well inside SQLite's limit.
CHUNK = 500

Progress = Callable[[int, int], None]


class WorkerLost(Exception):
    """Recorded on a task whose workers kept dying while they ran it (see the module's doc)."""


def _no_progress(done: int, total: int) -> None:
    pass


def _model():
    if not apps.is_installed("django_tasks_db"):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


def uses_database_queue(task) -> bool:
    """Whether `task` is queued in Samen's own database (django-tasks-db)."""
    if _model() is None:
        return False
    from django_tasks_db import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def recover_lost_claims(
    *, running_for: timedelta, max_claims: int = MAX_CLAIMS, progress: Progress = _no_progress
) -> tuple[int, int]:
    """Tasks RUNNING for longer than `running_for`: back to READY, or FAILED after `max_claims` workers.

    Returns (requeued, failed). Each row changes with a conditional UPDATE on its status and start
    time, so a row that a worker finished or claimed again meanwhile is left alone, and two runs at
    once change it once.
    """
    model = _model()
    if model is None:
        return 0, 0
    from django_tasks_db.compat import TaskResultStatus

    cutoff = timezone.now() - running_for
    stale = list(
        model.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        .order_by("started_at")
        .values_list("pk", "started_at", "worker_ids", "task_path")
    )
    requeued = failed = 0
    progress(0, len(stale))
    for done, (pk, started_at, worker_ids, task_path) in enumerate(stale, start=1):
        still_lost = model.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
        if len(worker_ids or []) >= max_claims:
            error = WorkerLost(
                f"{len(worker_ids)} workers stopped while running {task_path}; it is not run again on its own."
            )
            failed += still_lost.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"{WorkerLost.__qualname__}: {error}\n",
            )
        else:
            # The worker ids stay: the next claim appends its own, so the row counts its workers.
            requeued += still_lost.update(status=TaskResultStatus.READY)
        progress(done, len(stale))
    return requeued, failed


def _first_arguments(task, ids: Iterable, statuses: list[str], *conditions, **filters) -> set:
    model = _model()
    ids = list(ids)
    if model is None or not ids or not uses_database_queue(task):
        return set()
    found: set = set()
    for start in range(0, len(ids), CHUNK):
        rows = model.objects.filter(
            *conditions,
            task_path=task.module_path,
            status__in=statuses,
            args_kwargs__args__0__in=ids[start : start + CHUNK],
            **filters,
        ).values_list("args_kwargs", flat=True)
        found.update(row["args"][0] for row in rows)
    return found


def queued_for(task, ids: Iterable[int]) -> set[int]:
    """Which of `ids` (each the task's first argument) have a run of `task` waiting or under way."""
    from django_tasks_db.compat import TaskResultStatus

    return _first_arguments(task, ids, [TaskResultStatus.READY, TaskResultStatus.RUNNING])


def waiting_for(task, ids: Iterable[int | str]) -> set:
    """Which of `ids` (each the task's first argument) have a run of `task` due and not yet started.

    Unlike queued_for, a run under way does not count (it may have read what is about to change),
    nor does one deferred to later (a retry an hour away is no answer to news now).
    """
    from django.db.models import Q
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import get_date_max

    # As the library's own DBTaskResult.objects.ready(): "no run_after" is stored as its date max.
    due = Q(run_after=get_date_max()) | Q(run_after__lte=timezone.now())
    return _first_arguments(task, ids, [TaskResultStatus.READY], due)


def given_up_for(task, ids: Iterable[int]) -> set[int]:
    """Which of `ids` have a run of `task` that recover_lost_claims gave up on (WorkerLost)."""
    from django_tasks_db.compat import TaskResultStatus

    return _first_arguments(
        task,
        ids,
        [TaskResultStatus.FAILED],
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
    )
