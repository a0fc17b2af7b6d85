import json

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.gateways import TransportError, get_gateway
from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, text

pytestmark = pytest.mark.django_db

SECRET = "frontline-secret"


@pytest.fixture
def channel():
    return Channel.objects.create(kind="frontlinesms", name="FrontlineCloud", secret=SECRET)


@pytest.fixture
def url(channel):
    return reverse("gateways:frontlinesms", args=[channel.pk])


def test_a_form_post_is_stored_and_answered_with_success(url, channel):
    response = Client().post(url, data=form("frontlinesms_incoming.form"))
    assert response.status_code == 200
    assert response.json() == {"payload": {"success": True, "error": None}}
    message = InboundMessage.objects.get()
    assert message.gateway == "frontlinesms"
    assert message.channel == channel
    assert message.sender == "+254744000444"
    assert message.body == "MAJI Standpipe leaking at Laini Saba"
    assert "secret" not in json.loads(message.raw)


def test_json_is_accepted(url):
    response = Client().post(url, data=text("frontlinesms_incoming.json"), content_type="application/json")
    assert response.status_code == 200
    assert InboundMessage.objects.get().sender == "+254744000444"


def test_the_query_string_is_accepted(url):
    response = Client().get(url, form("frontlinesms_incoming.form"))
    assert response.status_code == 200
    assert InboundMessage.objects.count() == 1


def test_a_wrong_secret_gets_403_and_stores_nothing(url):
    response = Client().post(url, data={**form("frontlinesms_incoming.form"), "secret": "nope"})
    assert response.status_code == 403
    assert response.json()["payload"]["success"] is False
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize("field", ["from", "message"])
def test_a_missing_field_gets_400(url, field):
    fields = form("frontlinesms_incoming.form")
    del fields[field]
    response = Client().post(url, data=fields)
    assert response.status_code == 400
    assert response.json()["payload"]["error"] == f"Missing {field}"


def test_a_quick_retry_without_an_id_is_one_message(url, time_machine):
    time_machine.move_to("2024-06-12 10:00:05Z")
    for _ in range(3):
        Client().post(url, data=form("frontlinesms_incoming.form"))
    assert InboundMessage.objects.count() == 1


def test_a_retry_without_an_id_across_a_window_boundary_is_one_message(url, time_machine):
    time_machine.move_to("2024-06-12 10:09:50Z")
    Client().post(url, data=form("frontlinesms_incoming.form"))
    time_machine.move_to("2024-06-12 10:10:20Z")  # the next ten-minute window, 30 s later
    response = Client().post(url, data=form("frontlinesms_incoming.form"))
    assert response.json() == {"payload": {"success": True, "error": None}}
    time_machine.move_to("2024-06-12 10:19:40Z")  # still within ten minutes of the first
    Client().post(url, data=form("frontlinesms_incoming.form"))
    assert InboundMessage.objects.count() == 1


def test_the_same_text_after_the_window_is_a_new_message(url, time_machine):
    time_machine.move_to("2024-06-12 10:00:05Z")
    Client().post(url, data=form("frontlinesms_incoming.form"))
    time_machine.move_to("2024-06-12 10:10:06Z")
    Client().post(url, data=form("frontlinesms_incoming.form"))
    assert InboundMessage.objects.count() == 2


def test_another_sender_or_text_in_the_window_is_another_message(url, time_machine):
    time_machine.move_to("2024-06-12 10:00:05Z")
    fields = form("frontlinesms_incoming.form")
    Client().post(url, data=fields)
    Client().post(url, data={**fields, "from": "+254744000445"})
    Client().post(url, data={**fields, "message": fields["message"] + "!"})
    assert InboundMessage.objects.count() == 3


def test_the_channel_can_set_its_own_window(url, channel, time_machine):
    channel.config = {"dedup_minutes": 60}
    channel.save()
    time_machine.move_to("2024-06-12 10:00:05Z")
    Client().post(url, data=form("frontlinesms_incoming.form"))
    time_machine.move_to("2024-06-12 10:45:00Z")
    Client().post(url, data=form("frontlinesms_incoming.form"))
    assert InboundMessage.objects.count() == 1


def test_the_channels_number_stands_in_for_the_recipient_frontlinesms_does_not_send(url, channel):
    channel.config = {"number": "+254700000001"}
    channel.save()
    Client().post(url, data=form("frontlinesms_incoming.form"))
    assert InboundMessage.objects.get().recipient == "+254700000001"


def test_a_to_field_added_to_the_activity_wins_over_the_channels_number(url, channel):
    channel.config = {"number": "+254700000001"}
    channel.save()
    Client().post(url, data={**form("frontlinesms_incoming.form"), "to": "+254700000009"})
    assert InboundMessage.objects.get().recipient == "+254700000009"


def test_a_nul_from_the_modem_is_read_as_the_gsm_at_sign(url):
    Client().post(url, data={**form("frontlinesms_incoming.form"), "message": "MAJI meet \x00 the tap"})
    assert InboundMessage.objects.get().body == "MAJI meet @ the tap"


def test_an_id_sent_by_frontlinesms_is_used(url):
    Client().post(url, data={**form("frontlinesms_incoming.form"), "message_id": "4711"})
    assert InboundMessage.objects.get().idempotency_key == "frontlinesms:4711"


def test_send_posts_the_documented_webhook_body(channel, httpserver):
    httpserver.expect_request(
        "/api/1/webhook",
        method="POST",
        json={
            "apiKey": "frontline-api-key",
            "payload": {
                "message": "Your report number is 7.",
                "recipients": [{"type": "mobile", "value": "+254744000444"}],
            },
        },
    ).respond_with_json({})
    channel.config = {"server": httpserver.url_for("/").rstrip("/"), "api_key": "frontline-api-key"}
    outbound = OutboundMessage(
        gateway="frontlinesms", to="+254744000444", body="Your report number is 7.", idempotency_key="k"
    )
    assert get_gateway("frontlinesms", channel).send(outbound) == ""
    assert len(httpserver.log) == 1


def test_a_refused_api_key_is_permanent(channel, httpserver):
    httpserver.expect_request("/api/1/webhook").respond_with_data("Unauthorized", status=401)
    channel.config = {"server": httpserver.url_for("/").rstrip("/"), "api_key": "wrong"}
    outbound = OutboundMessage(gateway="frontlinesms", to="+254744000444", body="Hi", idempotency_key="k")
    with pytest.raises(TransportError) as raised:
        get_gateway("frontlinesms", channel).send(outbound)
    assert raised.value.permanent is True


def test_a_channel_without_a_server_cannot_send(channel):
    outbound = OutboundMessage(gateway="frontlinesms", to="+254744000444", body="Hi", idempotency_key="k")
    with pytest.raises(TransportError, match="server"):
        get_gateway("frontlinesms", channel).send(outbound)
