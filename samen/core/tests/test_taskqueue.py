"""Claims on django-tasks-db rows whose worker died: back to the queue, or given up after three workers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from samen.core import taskqueue
from samen.messaging.tasks import deliver, route

pytestmark = pytest.mark.django_db

WORKERS = ["worker-a", "worker-b", "worker-c"]


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def claimed(task, arg: int, *, minutes_ago: float, workers: int = 1):
    """A task row as a worker leaves it when it dies mid-run: RUNNING since then, with its id."""
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.get(pk=task.enqueue(arg).id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        worker_ids=WORKERS[:workers],
    )
    row.refresh_from_db()
    return row


def test_a_claim_older_than_the_limit_goes_back_to_the_queue_and_keeps_its_workers():
    lost = claimed(route, 1, minutes_ago=45)
    alive = claimed(route, 2, minutes_ago=5)

    assert taskqueue.recover_lost_claims(running_for=timedelta(minutes=30)) == (1, 0)

    lost.refresh_from_db()
    alive.refresh_from_db()
    assert (lost.status, lost.worker_ids) == ("READY", ["worker-a"])
    assert alive.status == "RUNNING"


def test_a_task_that_felled_three_workers_is_given_up_with_the_reason():
    poison = claimed(route, 1, minutes_ago=45, workers=3)

    assert taskqueue.recover_lost_claims(running_for=timedelta(minutes=30)) == (0, 1)

    poison.refresh_from_db()
    assert poison.status == "FAILED"
    assert poison.exception_class_path == "samen.core.taskqueue.WorkerLost"
    assert "3 workers stopped" in poison.traceback
    assert poison.task_result.errors[0].exception_class is taskqueue.WorkerLost


def test_finished_and_waiting_tasks_are_left_alone():
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.get(pk=route.enqueue(1).id)
    done = claimed(route, 2, minutes_ago=45)
    DBTaskResult.objects.filter(pk=done.pk).update(status="SUCCESSFUL", finished_at=timezone.now())

    assert taskqueue.recover_lost_claims(running_for=timedelta(minutes=30)) == (0, 0)
    assert DBTaskResult.objects.get(pk=waiting.pk).status == "READY"
    assert DBTaskResult.objects.get(pk=done.pk).status == "SUCCESSFUL"


def test_recovering_twice_changes_nothing_the_second_time():
    claimed(route, 1, minutes_ago=45)
    assert taskqueue.recover_lost_claims(running_for=timedelta(minutes=30)) == (1, 0)
    assert taskqueue.recover_lost_claims(running_for=timedelta(minutes=30)) == (0, 0)


def test_it_reports_progress_over_the_lost_claims():
    claimed(route, 1, minutes_ago=45)
    claimed(route, 2, minutes_ago=45)
    seen = []
    taskqueue.recover_lost_claims(running_for=timedelta(minutes=30), progress=lambda *step: seen.append(step))
    assert seen == [(0, 2), (1, 2), (2, 2)]


def test_it_tells_which_ids_have_a_run_waiting_or_given_up_per_task():
    from django_tasks_db.models import DBTaskResult

    route.enqueue(1)
    claimed(route, 2, minutes_ago=1)
    claimed(route, 3, minutes_ago=45, workers=3)
    taskqueue.recover_lost_claims(running_for=timedelta(minutes=30))
    finished = DBTaskResult.objects.get(pk=route.enqueue(4).id)
    DBTaskResult.objects.filter(pk=finished.pk).update(status="SUCCESSFUL")
    deliver.enqueue(5)

    assert taskqueue.queued_for(route, [1, 2, 3, 4, 5]) == {1, 2}
    assert taskqueue.given_up_for(route, [1, 2, 3, 4, 5]) == {3}
    assert taskqueue.queued_for(deliver, [1, 5]) == {5}


def test_a_run_is_waiting_only_while_it_is_due_and_not_started():
    route.enqueue(1)  # due now
    claimed(route, 2, minutes_ago=1)  # under way
    route.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(3)  # deferred
    route.using(run_after=timezone.now() - timedelta(minutes=1)).enqueue(4)  # deferred, due by now

    assert taskqueue.waiting_for(route, [1, 2, 3, 4]) == {1, 4}


def test_other_backends_have_no_database_queue_to_look_in(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert taskqueue.queued_for(route, [1]) == set()
    assert not taskqueue.uses_database_queue(route)
