import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from samen.messaging import optout
from samen.messaging.models import OutboundMessage
from samen.messaging.outbox import queue, send_email
from samen.messaging.tasks import deliver


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


# --- Opt-outs: nothing a feature does gets a message to an address that said STOP -----------------


@pytest.mark.django_db
def test_a_message_to_an_opted_out_number_is_stored_suppressed_and_never_sent(
    django_capture_on_commit_callbacks, fake_gateway
):
    optout.opt_out("+254700000001", medium="sms", via="keyword:STOP")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queue("fake", "254700000001", "New report near you", key="alerts:1", member=None)

    assert message.state == OutboundMessage.State.SUPPRESSED
    assert message.last_error == "not sent: the recipient opted out of sms"
    assert callbacks == []
    assert fake_gateway.sent == []


@pytest.mark.django_db
def test_the_same_key_after_an_opt_out_still_returns_the_one_row(fake_gateway):
    optout.opt_out("mia@example.org", medium="email")
    first = send_email("mia@example.org", "Welcome", "Hello", key="welcome:1")
    second = send_email("mia@example.org", "Welcome", "Hello", key="welcome:1")
    assert second.pk == first.pk
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_stop_after_queueing_wins_at_send_time(django_capture_on_commit_callbacks, fake_gateway):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        # Written with spaces, so the opt-out's sweep of queued rows does not match it by text;
        # the deliver task normalises and catches it.
        message = queue("fake", "+254 700 000 001", "New report near you", key="alerts:1")
    optout.opt_out("+254700000001", medium="sms")
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.QUEUED

    callbacks[0]()

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SUPPRESSED
    assert (message.attempts, message.delivery_attempts.count()) == (0, 0)
    assert fake_gateway.sent == []


@pytest.mark.django_db
def test_an_admin_cannot_send_a_suppressed_message_again(admin_client, fake_gateway):
    optout.opt_out("+254700000001", medium="sms")
    message = queue("fake", "+254700000001", "New report near you", key="alerts:1")

    admin_client.post(
        reverse("admin:messaging_outboundmessage_changelist"),
        {"action": "send_again", "_selected_action": [message.pk]},
    )

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SUPPRESSED
    assert deliver.call(message.pk) == "skipped"
    assert fake_gateway.sent == []


@pytest.mark.django_db
def test_a_feature_cannot_borrow_the_key_reserved_for_the_stop_answer():
    with pytest.raises(ValueError, match="reserved"):
        queue("fake", "+254700000001", "You will get no more messages", key="messaging.opt-out:1")


@pytest.mark.django_db
def test_a_member_turning_off_sms_in_the_profile_is_not_an_opt_out(member, fake_gateway):
    # The profile preference is for features to respect; the outbox refuses only real opt-outs.
    member.contact_by_sms = False
    member.save(update_fields=["contact_by_sms"])
    message = queue("fake", "+254700000001", "Your code is 123456", key="code:1", member=member)
    assert message.state == OutboundMessage.State.QUEUED
