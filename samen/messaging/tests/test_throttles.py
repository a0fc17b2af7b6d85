"""Inbound webhooks are throttled per endpoint (gateway and channel) and sender address.

Past the limit the provider gets JSON 429 with Retry-After and delivers again later: the message
is not stored twice, nor lost. The same limits hold across processes:
tests/test_throttles_across_processes.py.
"""

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage
from samen.messaging.tests.payloads import form

pytestmark = pytest.mark.django_db


def test_a_gateway_past_the_limit_stores_nothing_and_the_retry_lands(throttles):
    throttles(webhook_sms="1/m")
    channel = Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")
    url = reverse("gateways:smssync", args=[channel.pk])
    first_text = form("smssync_incoming.form")
    second_text = {**first_text, "message_id": "second-text", "message": "MAJI second"}

    assert Client().post(url, first_text).status_code == 200
    refused = Client().post(url, second_text)

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["retry_after"] == int(refused["Retry-After"])
    assert InboundMessage.objects.count() == 1
    # The phone retries from its own address when the window has passed; here, as another sender would.
    assert Client().post(url, second_text, REMOTE_ADDR="198.51.100.4").status_code == 200
    assert InboundMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "limit"),
    [
        ("smssync", "webhook_sms"),
        ("frontlinesms", "webhook_sms"),
        ("twilio", "webhook_sms"),
        ("africastalking", "webhook_sms"),
        ("inbound_email", "webhook_email"),
    ],
)
def test_every_gateway_is_throttled_per_channel(throttles, kind, limit):
    throttles(**{limit: "2/m"})
    channel, other = (Channel.objects.create(kind=kind, name=f"{kind} {n}", secret="s") for n in (1, 2))

    def post(to):
        return Client().post(reverse(f"gateways:{kind}", args=[to.pk]), {"nothing": "valid"}).status_code

    answers = [post(channel) for _ in range(3)]

    # Unsigned or malformed, the first two get the gateway's own refusal; the third is not even read.
    assert 429 not in answers[:2]
    assert answers[2] == 429
    assert post(other) != 429
