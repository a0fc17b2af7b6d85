import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samen.messaging import router
from samen.messaging.gateways import get_gateway
from samen.messaging.gateways.smssync import outbound_uuid, parse_timestamp
from samen.messaging.models import Channel, DeliveryAttempt, InboundMessage, OutboundMessage
from samen.messaging.outbox import queue
from samen.messaging.tests.payloads import form, text

pytestmark = pytest.mark.django_db


def statements(queries) -> list[str]:
    """The kinds of SQL statements run, leaving out transaction control (savepoints)."""
    kinds = (query["sql"].split(None, 1)[0].upper() for query in queries.captured_queries)
    return [kind for kind in kinds if kind in {"SELECT", "INSERT", "UPDATE", "DELETE"}]


SECRET = "smssync-secret"


@pytest.fixture
def channel():
    return Channel.objects.create(kind="smssync", name="Kibera phone", secret=SECRET)


@pytest.fixture
def url(channel):
    return reverse("gateways:smssync", args=[channel.pk])


def post_form(url, fields, **extra):
    return Client().post(url, data=fields, **extra)


def test_it_stores_a_form_encoded_message_and_answers_success(url, channel):
    response = post_form(url, form("smssync_incoming.form"))
    assert response.status_code == 200
    assert response.json() == {"payload": {"success": True, "error": None}}
    message = InboundMessage.objects.get()
    assert message.idempotency_key == "smssync:82fcd6d1-9f5a-4c6e-a4d4-6bde0f0f4a11"
    assert message.channel == channel
    assert message.sender == "+254712345678"
    assert message.recipient == "+254700000001"
    assert message.body.startswith("MAJI The tap at Olympic")


def test_it_accepts_the_json_variant(url):
    response = Client().post(url, data=text("smssync_incoming.json"), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["payload"]["success"] is True
    assert InboundMessage.objects.get().sender == "+254712345678"


def test_the_secret_is_not_kept_in_the_raw_payload(url):
    post_form(url, form("smssync_incoming.form"))
    raw = json.loads(InboundMessage.objects.get().raw)
    assert "secret" not in raw
    assert raw["device_id"] == "1"
    assert raw["sent_timestamp"] == "1718193600000"


def test_it_rejects_a_wrong_secret_with_403_and_stores_nothing(url, caplog):
    fields = {**form("smssync_incoming.form"), "secret": "guess"}
    response = post_form(url, fields)
    assert response.status_code == 403
    assert response.json()["payload"]["success"] is False
    assert InboundMessage.objects.count() == 0
    assert "wrong or missing secret" in caplog.text


def test_it_rejects_a_missing_secret(url):
    fields = form("smssync_incoming.form")
    del fields["secret"]
    assert post_form(url, fields).status_code == 403


def test_a_channel_without_a_secret_accepts_nobody(channel, url):
    Channel.objects.filter(pk=channel.pk).update(secret="")
    fields = {**form("smssync_incoming.form"), "secret": ""}
    assert post_form(url, fields).status_code == 403


@pytest.mark.parametrize("field", ["from", "message", "message_id", "sent_timestamp"])
def test_a_missing_field_gets_400(url, field):
    fields = form("smssync_incoming.form")
    del fields[field]
    response = post_form(url, fields)
    assert response.status_code == 400
    assert response.json()["payload"] == {"success": False, "error": f"Missing {field}"}
    assert InboundMessage.objects.count() == 0


def test_a_timestamp_that_is_not_a_number_gets_400(url):
    response = post_form(url, {**form("smssync_incoming.form"), "sent_timestamp": "yesterday"})
    assert response.status_code == 400


def test_malformed_json_gets_400(url):
    response = Client().post(url, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["payload"]["success"] is False


def test_an_unknown_channel_gets_404(channel):
    response = post_form(reverse("gateways:smssync", args=[channel.pk + 100]), form("smssync_incoming.form"))
    assert response.status_code == 404


def test_a_channel_of_another_kind_is_not_an_smssync_endpoint():
    other = Channel.objects.create(kind="twilio", name="Twilio", secret=SECRET)
    response = post_form(reverse("gateways:smssync", args=[other.pk]), form("smssync_incoming.form"))
    assert response.status_code == 404


def test_retries_of_the_same_message_id_store_one_message(url):
    for _ in range(5):
        assert post_form(url, form("smssync_incoming.form")).status_code == 200
    assert InboundMessage.objects.count() == 1


def test_sent_timestamp_is_read_as_milliseconds():
    assert parse_timestamp("1718193600000") == datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
    # A fork that sends seconds is still understood: 10^11 ms would be 1973.
    assert parse_timestamp("1718193600") == datetime(2024, 6, 12, 12, 0, tzinfo=UTC)


def test_the_gateway_reports_when_the_phone_says_it_was_sent(url, channel):
    post_form(url, form("smssync_incoming.form"))
    message = InboundMessage.objects.get()
    assert get_gateway("smssync", channel).sent_at(message) == datetime(2024, 6, 12, 12, 0, tzinfo=UTC)


def test_polling_hands_out_queued_messages_in_the_documented_shape(url, channel):
    outbound = queue("smssync", "+254712345678", "Your report number is 4.", key="t:1", channel=channel)
    response = Client().get(url, {"task": "send", "secret": SECRET})
    assert response.status_code == 200
    assert response.json() == {
        "payload": {
            "task": "send",
            "success": True,
            "error": None,
            "secret": SECRET,
            "messages": [
                {
                    "to": "+254712345678",
                    "message": "Your report number is 4.",
                    "uuid": outbound_uuid(outbound),
                }
            ],
        }
    }
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENDING


def test_a_message_is_handed_out_once_even_if_the_phone_polls_again(url, channel):
    queue("smssync", "+254712345678", "Once", key="t:1", channel=channel)
    first = Client().get(url, {"task": "send", "secret": SECRET}).json()["payload"]["messages"]
    second = Client().get(url, {"task": "send", "secret": SECRET}).json()["payload"]["messages"]
    assert len(first) == 1
    assert second == []


def test_polling_needs_the_secret(url, channel):
    queue("smssync", "+254712345678", "Private", key="t:1", channel=channel)
    response = Client().get(url, {"task": "send", "secret": "wrong"})
    assert response.status_code == 403
    assert OutboundMessage.objects.get().state == OutboundMessage.State.QUEUED


def test_polling_only_hands_out_this_channels_messages(url, channel):
    other = Channel.objects.create(kind="smssync", name="Other phone", secret="other")
    queue("smssync", "+254712345678", "Not yours", key="t:1", channel=other)
    messages = Client().get(url, {"task": "send", "secret": SECRET}).json()["payload"]["messages"]
    assert messages == []


def test_the_deliver_task_leaves_smssync_messages_for_the_phone(channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = queue("smssync", "+254712345678", "Wait for the poll", key="t:1", channel=channel)
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.QUEUED
    assert outbound.attempts == 0


def test_queued_messages_ride_on_the_answer_to_an_incoming_message(url, channel):
    outbound = queue("smssync", "+254799999999", "Meeting at 10", key="t:1", channel=channel)
    payload = post_form(url, form("smssync_incoming.form")).json()["payload"]
    assert payload["success"] is True
    assert payload["task"] == "send"
    assert payload["secret"] == SECRET
    assert payload["messages"] == [
        {"to": "+254799999999", "message": "Meeting at 10", "uuid": outbound_uuid(outbound)}
    ]


def test_task_sent_marks_the_messages_sent_and_echoes_their_uuids(url, channel):
    outbound = queue("smssync", "+254712345678", "Thanks", key="t:1", channel=channel)
    Client().get(url, {"task": "send", "secret": SECRET})
    uuid = outbound_uuid(outbound)
    body = json.dumps({"queued_messages": [uuid, "not-ours"]})
    response = Client().post(f"{url}?task=sent&secret={SECRET}", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"message_uuids": [uuid]}
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.SENT
    assert outbound.sent_at is not None
    assert DeliveryAttempt.objects.filter(message=outbound, ok=True).count() == 1


def test_a_repeated_sent_report_records_nothing_new(url, channel):
    outbound = queue("smssync", "+254712345678", "Thanks", key="t:1", channel=channel)
    Client().get(url, {"task": "send", "secret": SECRET})
    body = json.dumps({"queued_messages": [outbound_uuid(outbound)]})
    for _ in range(3):
        Client().post(f"{url}?task=sent&secret={SECRET}", data=body, content_type="application/json")
    assert DeliveryAttempt.objects.filter(message=outbound).count() == 1


def test_task_sent_needs_the_secret(url, channel):
    outbound = queue("smssync", "+254712345678", "Thanks", key="t:1", channel=channel)
    body = json.dumps({"queued_messages": [outbound_uuid(outbound)]})
    response = Client().post(f"{url}?task=sent", data=body, content_type="application/json")
    assert response.status_code == 403
    outbound.refresh_from_db()
    assert outbound.state == OutboundMessage.State.QUEUED


@pytest.fixture
def replies():
    """A route that answers every SMSSync text, as a feature app would."""

    def answer(message):
        queue(
            "smssync",
            message.sender,
            "Thanks, we got it.",
            key=f"test:{message.pk}",
            channel=message.channel,
            in_reply_to=message,
        )

    router.register_route("test.smssync-replies", lambda m: m.gateway == "smssync", answer)
    yield
    router.unregister_route("test.smssync-replies")


def poll(url):
    return Client().get(url, {"task": "send", "secret": SECRET}).json()["payload"]["messages"]


def test_the_reply_to_a_text_is_handed_to_the_phone_on_its_next_poll_once(
    url, replies, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_form(url, form("smssync_incoming.form")).json()["payload"]
    # The phone has its answer before routing runs, so the reply is not on it.
    assert answer == {"success": True, "error": None}
    reply = OutboundMessage.objects.get()
    assert poll(url) == [
        {"to": "+254712345678", "message": "Thanks, we got it.", "uuid": outbound_uuid(reply)}
    ]
    assert poll(url) == []


def test_the_reply_rides_on_the_next_text_when_that_comes_before_the_poll(
    url, replies, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_form(url, form("smssync_incoming.form"))
    with django_capture_on_commit_callbacks(execute=True):
        second = post_form(url, {**form("smssync_incoming.form"), "message_id": "next"}).json()["payload"]
    first_reply = OutboundMessage.objects.get(in_reply_to__idempotency_key__endswith="4a11")
    assert second["messages"] == [
        {"to": "+254712345678", "message": "Thanks, we got it.", "uuid": outbound_uuid(first_reply)}
    ]
    # The second text's own reply waits for the next poll; nothing is handed out twice.
    assert [m["uuid"] for m in poll(url)] == [
        outbound_uuid(OutboundMessage.objects.get(in_reply_to__idempotency_key="smssync:next"))
    ]
    assert poll(url) == []


def test_a_new_text_is_one_insert_after_the_channel_and_before_the_look_for_replies(
    url, django_capture_on_commit_callbacks
):
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        assert post_form(url, form("smssync_incoming.form")).status_code == 200
    # No session, no user, no member look-up, no UPDATE after the INSERT: routing does the rest.
    assert statements(queries) == ["SELECT", "INSERT", "SELECT"]
    assert len(callbacks) == 1  # the routing task, enqueued after commit
