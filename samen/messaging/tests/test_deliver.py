from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import default_task_backend

from samen.messaging.models import Channel, DeliveryAttempt, OutboundMessage
from samen.messaging.tasks import MAX_ATTEMPTS, deliver, requeue_stuck
from samen.messaging.tests.fakes import permanent, script, transient

pytestmark = pytest.mark.django_db


def make(gateway="fake", **fields):
    values = {
        "gateway": gateway,
        "idempotency_key": f"t:{OutboundMessage.objects.count()}",
        "to": "x",
        "body": "b",
    }
    return OutboundMessage.objects.create(**(values | fields))


def test_it_sends_and_records_a_successful_attempt():
    message = make("email", to="mia@example.org", subject="Hello")
    assert deliver.call(message.pk) == OutboundMessage.State.SENT
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    [attempt] = message.delivery_attempts.all()
    assert attempt.ok is True
    assert attempt.error == ""
    assert attempt.duration_ms >= 0
    assert len(mail.outbox) == 1


def test_running_it_twice_sends_exactly_one_mail():
    message = make("email", to="mia@example.org", subject="Hello")
    deliver.enqueue(message.pk)
    assert deliver.call(message.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert DeliveryAttempt.objects.count() == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_it_does_nothing_for_a_message_that_is_being_sent_or_gone(fake_gateway):
    sending = make(state=OutboundMessage.State.SENDING)
    assert deliver.call(sending.pk) == "skipped"
    assert deliver.call(sending.pk + 1000) == "skipped"
    assert fake_gateway.sent == []


def test_a_transient_error_puts_it_back_in_the_queue(fake_gateway):
    channel = Channel.objects.create(kind="fake", name="Modem")
    message = make(channel=channel)
    script(transient("modem busy"))
    assert deliver.call(message.pk) == OutboundMessage.State.QUEUED
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error == "modem busy"
    [attempt] = message.delivery_attempts.all()
    assert (attempt.ok, attempt.permanent, attempt.error) == (False, False, "modem busy")
    channel.refresh_from_db()
    assert channel.enabled is True

    # The next run succeeds and clears the error.
    assert deliver.call(message.pk) == OutboundMessage.State.SENT
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (2, "")


def test_it_gives_up_after_a_bounded_number_of_attempts(fake_gateway):
    message = make()
    script(*[transient() for _ in range(MAX_ATTEMPTS)])
    states = [deliver.call(message.pk) for _ in range(MAX_ATTEMPTS + 1)]
    assert states == [OutboundMessage.State.QUEUED] * (MAX_ATTEMPTS - 1) + [
        OutboundMessage.State.FAILED,
        "skipped",
    ]
    assert message.delivery_attempts.count() == MAX_ATTEMPTS
    assert fake_gateway.sent == []


def test_a_permanent_error_fails_the_message_and_disables_the_channel(fake_gateway):
    channel = Channel.objects.create(kind="fake", name="Modem")
    message = make(channel=channel)
    script(permanent("account suspended"))
    assert deliver.call(message.pk) == OutboundMessage.State.FAILED
    channel.refresh_from_db()
    assert channel.enabled is False
    assert channel.disabled_reason == "account suspended"
    attempt = message.delivery_attempts.get()
    assert attempt.permanent is True


def test_a_permanent_error_without_a_channel_only_fails_the_message(settings):
    settings.EMAIL_BACKEND = "samen.messaging.tests.backends.RecipientRefused"
    message = make("email", to="nobody@example.org")
    assert deliver.call(message.pk) == OutboundMessage.State.FAILED
    message.refresh_from_db()
    assert "recipient refused" in message.last_error


def test_a_disabled_channel_sends_nothing(fake_gateway):
    channel = Channel.objects.create(kind="fake", name="Modem", enabled=False, disabled_reason="SIM expired")
    message = make(channel=channel)
    assert deliver.call(message.pk) == OutboundMessage.State.FAILED
    assert fake_gateway.sent == []
    message.refresh_from_db()
    assert "SIM expired" in message.last_error
    channel.refresh_from_db()
    assert channel.disabled_reason == "SIM expired"  # the first reason stays


def test_an_unknown_gateway_fails_permanently():
    message = make("smoke-signal")
    assert deliver.call(message.pk) == OutboundMessage.State.FAILED
    message.refresh_from_db()
    assert "smoke-signal" in message.last_error


def test_a_crashing_gateway_does_not_leave_the_message_stuck(fake_gateway):
    message = make()
    script(KeyError("oops"))
    assert deliver.call(message.pk) == OutboundMessage.State.QUEUED
    message.refresh_from_db()
    assert message.last_error == "KeyError: 'oops'"


def test_a_retry_is_scheduled_later_on_a_backend_that_can_defer(
    settings, fake_gateway, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    message = make()
    script(transient(), transient())
    with django_capture_on_commit_callbacks(execute=True):
        deliver.call(message.pk)
        deliver.call(message.pk)
    first, second = default_task_backend.results
    assert list(first.args) == list(second.args) == [message.pk]
    # Backoff doubles: one minute after the first failure, two after the second.
    assert timedelta(seconds=50) < first.task.run_after - first.enqueued_at <= timedelta(seconds=60)
    assert timedelta(seconds=110) < second.task.run_after - second.enqueued_at <= timedelta(seconds=120)


def test_requeue_enqueues_old_queued_messages_only(fake_gateway, time_machine):
    time_machine.move_to("2026-03-01 12:00Z")
    old = make()
    time_machine.move_to("2026-03-01 12:30Z")
    fresh = make()
    done = make(state=OutboundMessage.State.FAILED)
    assert requeue_stuck(queued_for=timedelta(minutes=10)) == 1
    assert fake_gateway.sent == [old.pk]
    assert {m.pk: m.state for m in OutboundMessage.objects.all()} == {
        old.pk: OutboundMessage.State.SENT,
        fresh.pk: OutboundMessage.State.QUEUED,
        done.pk: OutboundMessage.State.FAILED,
    }


def test_the_requeue_command_reports_what_it_did(fake_gateway, time_machine, capsys):
    time_machine.move_to("2026-03-01 12:00Z")
    make()
    time_machine.move_to("2026-03-01 13:00Z")
    call_command("messaging_requeue", "--minutes", "30")
    assert "Outbound: 1 queued message(s) enqueued again" in capsys.readouterr().out
