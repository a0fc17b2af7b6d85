"""messaging_requeue after a crash: lost claims run again, unrouted messages are routed, nothing twice."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from samen.core import taskqueue
from samen.messaging import router, tasks
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage, OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def everything_routed():
    calls = []
    router.register_route("tests.everything", lambda m: True, calls.append)
    yield calls
    router.unregister_route("tests.everything")


def arrived(external_id: str, *, minutes_ago: float = 30) -> InboundMessage:
    message, _ = receive("smssync", external_id, sender="+254700000001", body=f"text {external_id}", raw="x")
    if taskqueue.uses_database_queue(tasks.route):
        # receive() enqueues on commit, which a test's transaction never reaches: as it would.
        tasks.route.enqueue(message.pk)
    InboundMessage.objects.filter(pk=message.pk).update(
        received_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    message.refresh_from_db()
    return message


def route_tasks():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=tasks.route.module_path)


def lose_tasks():
    """The queue as a flushed Redis or a task that could not be enqueued leaves it: empty."""
    route_tasks().delete()


def run(*args) -> str:
    out = StringIO()
    call_command("messaging_requeue", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_every_outcome_of_routing_records_that_it_finished(everything_routed, settings):
    routed = arrived("1")
    assert tasks.route.call(routed.pk) == "tests.everything"
    router.unregister_route("tests.everything")
    unrouted = arrived("2")
    assert tasks.route.call(unrouted.pk) == tasks.UNROUTED

    for message in (routed, unrouted):
        message.refresh_from_db()
        assert message.routed_at is not None
    assert unrouted.state == InboundMessage.State.NEW


def test_a_message_whose_task_was_lost_is_routed_again_once(database_tasks, everything_routed):
    message = arrived("1")
    lose_tasks()

    assert tasks.requeue_unrouted(received_for=timedelta(minutes=10)) == (1, 0)
    assert tasks.requeue_unrouted(received_for=timedelta(minutes=10)) == (0, 0)  # its task is queued now
    [task] = route_tasks()
    assert task.args_kwargs["args"] == [message.pk]

    tasks.route.call(message.pk)
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ROUTED
    assert len(everything_routed) == 1


def test_a_message_with_its_task_still_queued_is_not_enqueued_again(database_tasks):
    arrived("1")
    assert route_tasks().count() == 1
    assert tasks.requeue_unrouted(received_for=timedelta(minutes=10)) == (0, 0)
    assert route_tasks().count() == 1


def test_recent_messages_and_those_nothing_wanted_are_left_alone(database_tasks):
    recent = arrived("1", minutes_ago=2)
    unwanted = arrived("2")
    tasks.route.call(unwanted.pk)  # nothing is registered: it waits for a person
    lose_tasks()

    assert tasks.requeue_unrouted(received_for=timedelta(minutes=10)) == (0, 0)
    assert recent.state == InboundMessage.State.NEW


def test_a_message_that_felled_three_workers_fails_for_a_person_to_look_at(database_tasks):
    from django_tasks_db.models import DBTaskResult

    message = arrived("1")
    route_tasks().update(
        status="RUNNING", started_at=timezone.now() - timedelta(hours=1), worker_ids=["a", "b", "c"]
    )
    assert taskqueue.recover_lost_claims(running_for=timedelta(minutes=30)) == (0, 1)

    assert tasks.requeue_unrouted(received_for=timedelta(minutes=10)) == (0, 1)

    message.refresh_from_db()
    assert message.state == InboundMessage.State.FAILED
    assert "stopped the worker 3 times" in message.error
    assert DBTaskResult.objects.count() == 1  # and no new task to kill a fourth


def test_the_immediate_backend_routes_a_lost_message_on_the_spot(everything_routed):
    message = arrived("1")
    InboundMessage.objects.filter(pk=message.pk).update(state=InboundMessage.State.NEW, routed_at=None)

    assert tasks.requeue_unrouted(received_for=timedelta(minutes=10)) == (1, 0)
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ROUTED


def test_a_queued_delivery_whose_retry_is_waiting_is_not_enqueued_again(database_tasks):
    from django_tasks_db.models import DBTaskResult

    old = timezone.now() - timedelta(hours=1)
    waiting = OutboundMessage.objects.create(
        gateway="email", to="a@example.org", body="x", idempotency_key="k1"
    )
    OutboundMessage.objects.filter(pk=waiting.pk).update(created_at=old)
    tasks.deliver.enqueue(waiting.pk)
    lost = OutboundMessage.objects.create(gateway="email", to="b@example.org", body="x", idempotency_key="k2")
    OutboundMessage.objects.filter(pk=lost.pk).update(created_at=old)
    phone = OutboundMessage.objects.create(
        gateway="smssync", to="+254700000001", body="x", idempotency_key="k3"
    )
    OutboundMessage.objects.filter(pk=phone.pk).update(created_at=old)

    assert tasks.requeue_stuck(queued_for=timedelta(minutes=10)) == 1
    deliver_tasks = DBTaskResult.objects.filter(task_path=tasks.deliver.module_path)
    assert sorted(t.args_kwargs["args"][0] for t in deliver_tasks) == [waiting.pk, lost.pk]


def test_the_command_says_what_it_did_in_each_step(database_tasks):
    arrived("1")
    route_tasks().update(status="RUNNING", started_at=timezone.now() - timedelta(hours=1), worker_ids=["a"])
    arrived("2")
    route_tasks().filter(
        args_kwargs__args__0=InboundMessage.objects.get(idempotency_key="smssync:2").pk
    ).delete()

    output = run()

    assert "Tasks: 1 lost claim(s) back in the queue, 0 given up" in output
    assert "Inbound: 1 unrouted message(s) enqueued again, 0 failed" in output
    assert "Outbound: 0 queued message(s) enqueued again" in output
    assert "SMSSync: 0 unconfirmed message(s) queued again, 0 failed" in output
    assert set(route_tasks().values_list("status", flat=True)) == {"READY"}
    assert route_tasks().count() == 2
    again = run()
    assert "Tasks: 0 lost claim(s)" in again
    assert "Inbound: 0 unrouted message(s)" in again


def test_claims_younger_than_the_limit_are_taken_as_alive(database_tasks):
    arrived("1")
    route_tasks().update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=20), worker_ids=["a"]
    )

    assert "Tasks: 0 lost claim(s)" in run()
    assert "Tasks: 1 lost claim(s)" in run("--running-minutes", "15")


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_a_run_shows_its_progress_on_a_terminal_and_none_in_cron_mail(database_tasks):
    for external_id in ("1", "2", "3"):
        arrived(external_id)
    lose_tasks()
    terminal = Terminal()

    call_command("messaging_requeue", stdout=StringIO(), stderr=terminal)

    assert "Inbound" in terminal.getvalue()
    assert "| 0/3 [" in terminal.getvalue()  # the bar knows how many it has to go
    cron = StringIO()
    call_command("messaging_requeue", stdout=StringIO(), stderr=cron)
    assert cron.getvalue() == ""
