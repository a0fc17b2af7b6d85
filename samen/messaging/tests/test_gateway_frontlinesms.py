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
