"""Delivery through the real default backend: django-tasks-db and its `db_worker` command."""

import pytest
from django.core import mail
from django.core.management import call_command

from samen.messaging.models import OutboundMessage
from samen.messaging.outbox import send_email


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


# Transactional: the task row is written on commit and the worker reads it in its own transactions.
@pytest.mark.django_db(transaction=True)
def test_the_db_worker_delivers_a_queued_email(database_tasks):
    from django_tasks_db.models import DBTaskResult

    message = send_email("mia@example.org", "Welcome", "Hello Mia", key="welcome:worker")
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT
    assert [m.subject for m in mail.outbox] == ["Welcome"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_one_message_send_it_once(database_tasks):
    from samen.messaging.tasks import deliver

    message = send_email("mia@example.org", "Welcome", "Hello Mia", key="welcome:twice")
    deliver.enqueue(message.pk)  # e.g. a requeue racing the original task

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1
