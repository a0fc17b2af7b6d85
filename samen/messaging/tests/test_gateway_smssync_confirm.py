"""SMSSync messages a phone never confirms go out again after a timeout; texts are stored with their task in one go."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samen.messaging import tasks
from samen.messaging.gateways import smssync
from samen.messaging.gateways.smssync import outbound_uuid, requeue_unconfirmed
from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.outbox import queue
from samen.messaging.tests.payloads import form

pytestmark = pytest.mark.django_db

SECRET = "smssync-secret"


@pytest.fixture
def channel():
    return Channel.objects.create(kind="smssync", name="Kibera phone", secret=SECRET)


@pytest.fixture
def url(channel):
    return reverse("gateways:smssync", args=[channel.pk])


def poll(url) -> list[dict]:
    return Client().get(url, {"task": "send", "secret": SECRET}).json()["payload"]["messages"]


def age(outbound, minutes):
    """As if the phone had been handed the message `minutes` ago."""
    OutboundMessage.objects.filter(pk=outbound.pk).update(
        handed_out_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_a_handed_out_message_records_when(url, channel):
    outbound = queue("smssync", "+254712345678", "Hello", key="t:1", channel=channel)
    poll(url)
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENDING
    assert outbound.handed_out_at is not None


def test_an_unconfirmed_message_goes_out_again_with_the_next_poll_after_the_timeout(url, channel):
    outbound = queue("smssync", "+254712345678", "Hello", key="t:1", channel=channel)
    assert [m["uuid"] for m in poll(url)] == [outbound_uuid(outbound)]
    assert poll(url) == []  # within the timeout: the phone may still be sending it

    age(outbound, smssync.CONFIRM_TIMEOUT.total_seconds() / 60 + 1)
    # The same uuid, so a late "sent" report from the phone still matches.
    assert [m["uuid"] for m in poll(url)] == [outbound_uuid(outbound)]
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENDING
    assert outbound.attempts == 2


def test_a_confirmed_message_is_never_handed_out_again(url, channel):
    outbound = queue("smssync", "+254712345678", "Hello", key="t:1", channel=channel)
    [message] = poll(url)
    Client().post(
        f"{url}?task=sent&secret={SECRET}",
        data={"queued_messages": [message["uuid"]]},
        content_type="application/json",
    )
    age(outbound, 24 * 60)
    assert requeue_unconfirmed() == (0, 0)
    assert poll(url) == []
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENT


def test_after_the_last_attempt_an_unconfirmed_message_fails_for_a_person_to_see(url, channel):
    outbound = queue("smssync", "+254712345678", "Hello", key="t:1", channel=channel)
    for _attempt in range(smssync.MAX_HAND_OUTS):
        assert len(poll(url)) == 1
        age(outbound, smssync.CONFIRM_TIMEOUT.total_seconds() / 60 + 1)
    assert poll(url) == []
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.FAILED
    assert outbound.attempts == smssync.MAX_HAND_OUTS
    assert "never reported" in outbound.last_error


def test_messaging_requeue_puts_unconfirmed_messages_back_in_the_queue(url, channel, capsys):
    stale = queue("smssync", "+254712345678", "Stale", key="t:1", channel=channel)
    fresh = queue("smssync", "+254712345679", "Fresh", key="t:2", channel=channel)
    poll(url)
    age(stale, 30)
    age(fresh, 5)

    call_command("messaging_requeue", "--unconfirmed-minutes", "20")

    assert "SMSSync: 1 unconfirmed message(s) queued again, 0 failed" in capsys.readouterr().out
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, stale.handed_out_at) == (OutboundMessage.State.QUEUED, None)
    assert fresh.state == OutboundMessage.State.SENDING
    assert [m["uuid"] for m in poll(url)] == [outbound_uuid(stale)]


def test_the_default_timeout_applies_to_messaging_requeue(url, channel, capsys):
    outbound = queue("smssync", "+254712345678", "Hello", key="t:1", channel=channel)
    poll(url)
    age(outbound, smssync.CONFIRM_TIMEOUT.total_seconds() / 60 - 1)
    call_command("messaging_requeue")
    assert "SMSSync: 0 unconfirmed" in capsys.readouterr().out
    age(outbound, smssync.CONFIRM_TIMEOUT.total_seconds() / 60 + 1)
    call_command("messaging_requeue")
    assert "SMSSync: 1 unconfirmed" in capsys.readouterr().out


def test_other_channels_are_left_to_their_own_polls(url, channel):
    other = Channel.objects.create(kind="smssync", name="Other phone", secret="other")
    mine = queue("smssync", "+254712345678", "Mine", key="t:1", channel=channel)
    theirs = queue("smssync", "+254712345678", "Theirs", key="t:2", channel=other)
    poll(url)
    Client().get(reverse("gateways:smssync", args=[other.pk]), {"task": "send", "secret": "other"})
    age(mine, 60)
    age(theirs, 60)
    assert [m["uuid"] for m in poll(url)] == [outbound_uuid(mine)]
    theirs.refresh_from_db()
    assert theirs.state == OutboundMessage.State.SENDING


# --- One transaction per text, with django-tasks-db --------------------------------------------------


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
def test_a_text_and_its_routing_task_are_stored_in_one_transaction(url, database_tasks):
    from django_tasks_db.models import DBTaskResult

    for _delivery in range(3):  # the phone retries
        assert Client().post(url, data=form("smssync_incoming.form")).status_code == 200
    message = InboundMessage.objects.get()
    task = DBTaskResult.objects.get()  # one task: retries enqueue nothing
    assert task.task_path == tasks.route.module_path
    assert task.args_kwargs["args"] == [message.pk]


@pytest.mark.django_db(transaction=True)
def test_the_raw_text_is_kept_even_when_its_task_cannot_be_stored(url, database_tasks, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise DatabaseError("the task table is unavailable")

    from django_tasks_db import DatabaseBackend

    monkeypatch.setattr(DatabaseBackend, "enqueue", broken)
    with pytest.raises(DatabaseError):
        # The fallback stores the message alone, then tries the task again after commit.
        Client(raise_request_exception=True).post(url, data=form("smssync_incoming.form"))
    assert len(calls) == 2
    message = InboundMessage.objects.get()
    assert message.state == InboundMessage.State.NEW  # kept, for the worker or a person
    assert DBTaskResult.objects.count() == 0

    monkeypatch.undo()
    # The phone retries: the stored message is found, nothing is stored twice.
    assert Client().post(url, data=form("smssync_incoming.form")).status_code == 200
    assert InboundMessage.objects.count() == 1
