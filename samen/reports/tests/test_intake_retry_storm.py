"""Ushahidi's retry storms made hundreds of copies of one SMS. Here: one message, one report, one reply."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, twilio_post
from samen.reports.models import Report

pytestmark = pytest.mark.django_db

DELIVERIES = 100
SITE = "https://samen.example"
TOKEN = "twilio-auth-token-for-tests"


@pytest.fixture
def smssync_url(report_map):
    channel = Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")
    return reverse("gateways:smssync", args=[channel.pk])


@pytest.fixture
def twilio_path(report_map, settings):
    settings.SITE_URL = SITE
    channel = Channel.objects.create(kind="twilio", name="Twilio", secret=TOKEN)
    return reverse("gateways:twilio", args=[channel.pk])


def test_a_hundred_smssync_deliveries_make_one_message_one_report_and_one_reply(
    smssync_url, django_capture_on_commit_callbacks
):
    client = Client()
    handed_out = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(DELIVERIES):
            response = client.post(smssync_url, data=form("smssync_incoming.form"))
            assert response.status_code == 200
            handed_out += response.json()["payload"].get("messages", [])
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert len(handed_out) == 1


def test_a_hundred_twilio_deliveries_make_one_message_one_report_and_one_reply(
    twilio_path, django_capture_on_commit_callbacks
):
    client = Client()
    with_reply = 0
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(DELIVERIES):
            response = twilio_post(
                client,
                twilio_path,
                form("twilio_sms.form"),
                auth_token=TOKEN,
                signed_url=f"{SITE}{twilio_path}",
            )
            assert response.status_code == 200
            with_reply += b"<Message>" in response.content
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert with_reply == 1


def test_the_same_text_with_a_new_message_id_makes_no_second_report(smssync_url):
    client = Client()
    client.post(smssync_url, data=form("smssync_incoming.form"))
    second = client.post(
        smssync_url, data={**form("smssync_incoming.form"), "message_id": "a-new-id-from-a-resend"}
    )
    assert second.status_code == 200
    # Both deliveries are kept as they arrived; only one becomes a report, and only one is answered.
    assert InboundMessage.objects.count() == 2
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert "messages" not in second.json()["payload"]


def test_the_same_text_after_the_window_is_a_new_report(smssync_url, report_map, time_machine):
    time_machine.move_to("2024-06-12 12:00Z", tick=False)
    Client().post(smssync_url, data=form("smssync_incoming.form"))
    time_machine.shift(timedelta(minutes=report_map.duplicate_window_minutes + 1))
    Client().post(smssync_url, data={**form("smssync_incoming.form"), "message_id": "next-day"})
    assert Report.objects.count() == 2


def test_the_same_text_from_someone_else_is_a_report_of_its_own(smssync_url):
    Client().post(smssync_url, data=form("smssync_incoming.form"))
    Client().post(
        smssync_url, data={**form("smssync_incoming.form"), "message_id": "other", "from": "+254700123456"}
    )
    assert Report.objects.count() == 2
