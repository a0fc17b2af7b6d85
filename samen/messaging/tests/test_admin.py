import pytest
from django.core import mail
from django.urls import reverse

from samen.messaging.inbox import receive
from samen.messaging.models import Channel, DeliveryAttempt, InboundMessage, OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    from samen.people.models import Member

    client.force_login(Member.objects.create_superuser(email="root@example.org", password="x", name="Root"))
    return client


@pytest.fixture
def outbound():
    message = OutboundMessage.objects.create(
        gateway="email",
        idempotency_key="k1",
        to="mia@example.org",
        subject="Welcome",
        body="Hi",
        state=OutboundMessage.State.FAILED,
        attempts=5,
        last_error="451 try later",
    )
    DeliveryAttempt.objects.create(message=message, ok=False, error="451 try later", duration_ms=12)
    return message


def test_the_lists_search_and_filter(admin_client, outbound):
    Channel.objects.create(kind="smssync", name="Kibera phone")
    receive("smssync", "1", sender="+254700000001", body="Water point 4", raw='{"secret": "x"}')
    for model, query, shown in [
        ("channel", {"q": "Kibera", "enabled__exact": "1"}, "Kibera phone"),
        ("inboundmessage", {"q": "Water", "state__exact": "new"}, "Water point 4"),
        ("outboundmessage", {"q": "mia@", "state__exact": "failed"}, "mia@example.org"),
    ]:
        response = admin_client.get(reverse(f"admin:messaging_{model}_changelist"), query)
        assert response.status_code == 200
        assert shown in response.text
        assert response.context["cl"].result_count == 1


def test_an_inbound_message_shows_its_raw_payload_read_only(admin_client):
    message, _ = receive("smssync", "1", sender="+254700000001", body="Water", raw='{"message_id": "1"}')
    response = admin_client.get(reverse("admin:messaging_inboundmessage_change", args=[message.pk]))
    assert response.status_code == 200
    assert "{&quot;message_id&quot;: &quot;1&quot;}" in response.text
    assert 'name="raw"' not in response.text


def test_an_outbound_message_shows_its_attempts(admin_client, outbound):
    response = admin_client.get(reverse("admin:messaging_outboundmessage_change", args=[outbound.pk]))
    assert response.status_code == 200
    assert "451 try later" in response.text
    assert "delivery attempts" in response.text.lower()


def test_send_again_requeues_and_delivers_a_failed_message(
    admin_client, outbound, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:messaging_outboundmessage_changelist"),
            {"action": "send_again", "_selected_action": [outbound.pk]},
        )
    assert response.status_code == 302
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENT
    assert outbound.attempts == 1
    assert len(mail.outbox) == 1


def test_enabling_a_channel_again_clears_the_reason(admin_client):
    channel = Channel.objects.create(
        kind="smssync", name="Phone", enabled=False, disabled_reason="bad secret"
    )
    admin_client.post(
        reverse("admin:messaging_channel_changelist"),
        {"action": "enable_channels", "_selected_action": [channel.pk]},
    )
    channel.refresh_from_db()
    assert (channel.enabled, channel.disabled_reason) == (True, "")


def test_route_again_picks_up_a_handler_registered_since(admin_client):
    from samen.messaging import router

    message, _ = receive("smssync", "1", sender="+1", body="x", raw="")
    router.register_route("late", lambda m: True, lambda m: None)
    try:
        admin_client.post(
            reverse("admin:messaging_inboundmessage_changelist"),
            {"action": "route_again", "_selected_action": [message.pk]},
        )
    finally:
        router.unregister_route("late")
    message.refresh_from_db()
    assert (message.state, message.route) == (InboundMessage.State.ROUTED, "late")
