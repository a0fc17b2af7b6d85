from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.gateways import TransportError, get_gateway
from samen.messaging.inbox import receive
from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, text

pytestmark = pytest.mark.django_db

SECRET = "at-callback-secret"


@pytest.fixture
def channel():
    return Channel.objects.create(
        kind="africastalking",
        name="Africa's Talking",
        secret=SECRET,
        config={"username": "sandbox", "api_key": "at-api-key", "from": "22384"},
    )


@pytest.fixture
def url(channel):
    return reverse("gateways:africastalking", args=[channel.pk]) + f"?secret={SECRET}"


def test_an_incoming_message_is_stored(url, channel):
    response = Client().post(url, data=form("africastalking_incoming.form"))
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.idempotency_key == "africastalking:ATXid_7c3ae0dbf3b1e1b5e9f4f3b1c2a9d8e7"
    assert message.sender == "+254733000333"
    assert message.recipient == "+254700000001"
    assert message.body.startswith("MAJI Water kiosk")
    assert get_gateway("africastalking", channel).sent_at(message) == datetime(
        2024, 6, 12, 11, 34, 12, tzinfo=UTC
    )


def test_the_callback_without_the_secret_gets_403(channel):
    response = Client().post(
        reverse("gateways:africastalking", args=[channel.pk]), data=form("africastalking_incoming.form")
    )
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize("field", ["from", "id"])
def test_a_missing_field_gets_400(url, field):
    fields = form("africastalking_incoming.form")
    del fields[field]
    response = Client().post(url, data=fields)
    assert response.status_code == 400
    assert response.json() == {"error": f"Missing {field}"}


def test_redelivery_is_one_message(url):
    for _ in range(3):
        Client().post(url, data=form("africastalking_incoming.form"))
    assert InboundMessage.objects.count() == 1


@pytest.fixture
def api(channel, httpserver):
    channel.config = {**channel.config, "api_base": httpserver.url_for("/").rstrip("/")}
    channel.save()
    return httpserver


def test_send_posts_to_the_sms_api_with_the_api_key(channel, api):
    api.expect_request(
        "/version1/messaging",
        method="POST",
        headers={"apiKey": "at-api-key", "Accept": "application/json"},
        data="username=sandbox&to=%2B254733000333&message=Asante&from=22384",
    ).respond_with_data(text("africastalking_sent.json"), status=201, content_type="application/json")
    outbound = OutboundMessage(
        gateway="africastalking", to="+254733000333", body="Asante", idempotency_key="k"
    )
    assert get_gateway("africastalking", channel).send(outbound) == "ATPid_SampleTxnId123"


def test_a_reply_carries_the_link_id_of_the_message_it_answers(channel, api):
    inbound, _ = receive(
        "africastalking",
        "ATXid_1",
        sender="+254733000333",
        body="MAJI",
        raw=form("africastalking_incoming.form"),
    )
    api.expect_request("/version1/messaging", method="POST").respond_with_data(
        text("africastalking_sent.json"), status=201, content_type="application/json"
    )
    outbound = OutboundMessage(
        gateway="africastalking", to="+254733000333", body="Asante", idempotency_key="k", in_reply_to=inbound
    )
    get_gateway("africastalking", channel).send(outbound)
    request, _response = api.log[0]
    assert request.form["linkId"] == "SampleLinkId123"


def test_a_blacklisted_recipient_is_a_permanent_error(channel, api):
    api.expect_request("/version1/messaging").respond_with_data(
        text("africastalking_blacklisted.json"), status=201, content_type="application/json"
    )
    outbound = OutboundMessage(
        gateway="africastalking", to="+254733000333", body="Asante", idempotency_key="k"
    )
    with pytest.raises(TransportError, match="UserInBlacklist") as raised:
        get_gateway("africastalking", channel).send(outbound)
    assert raised.value.permanent is True


def test_a_network_failure_is_worth_retrying(channel, settings):
    # Nothing listens on port 9 of the loopback interface, allowed here to be reached.
    settings.SAMEN_HTTP_ALLOWED_HOSTS = ["127.0.0.1"]
    channel.config = {**channel.config, "api_base": "http://127.0.0.1:9"}
    outbound = OutboundMessage(
        gateway="africastalking", to="+254733000333", body="Asante", idempotency_key="k"
    )
    with pytest.raises(TransportError) as raised:
        get_gateway("africastalking", channel).send(outbound)
    assert raised.value.permanent is False
