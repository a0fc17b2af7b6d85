import pytest
from django.core import mail
from django.db import transaction

from samen.messaging.models import OutboundMessage
from samen.messaging.outbox import queue, send_email


@pytest.mark.django_db
def test_it_queues_and_delivers_after_commit(django_capture_on_commit_callbacks, member):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = send_email("mia@example.org", "Welcome", "Hello", key="welcome:1", member=member)
        assert message.state == OutboundMessage.State.QUEUED
        assert message.gateway == "email"
        assert message.member == member
    # Nothing leaves before the transaction commits.
    assert mail.outbox == []
    assert len(callbacks) == 1

    callbacks[0]()
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT
    assert [m.to for m in mail.outbox] == [["mia@example.org"]]


@pytest.mark.django_db
def test_the_same_key_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = send_email("mia@example.org", "Welcome", "Hello", key="welcome:1")
        second = send_email("mia@example.org", "Welcome again", "Hello again", key="welcome:1")
    assert second.pk == first.pk
    assert second.subject == "Welcome"
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_html_body_is_kept_and_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email("mia@example.org", "Hi", "Hi", key="k", html_body="<p>Hi</p>")
    assert mail.outbox[0].alternatives[0].content == "<p>Hi</p>"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_caller_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        send_email("mia@example.org", "Welcome", "Hello", key="welcome:1")
        raise RuntimeError("the invitation failed")
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_key_is_required():
    with pytest.raises(ValueError, match="idempotency key"):
        send_email("mia@example.org", "Welcome", "Hello", key="")


@pytest.mark.django_db
def test_queue_works_for_any_gateway(django_capture_on_commit_callbacks, fake_gateway):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue("fake", "+254700000001", "JOIN ok", key="sms:1")
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT
    assert message.provider_id == f"fake-{message.pk}"
    assert fake_gateway.sent == [message.pk]
