"""Ushahidi's retry storms made hundreds of copies of one SMS. Here: one message, one report, one reply."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, text, twilio_post
from samen.reports.models import Report

pytestmark = pytest.mark.django_db

DELIVERIES = 100
SITE = "https://samen.example"
TOKEN = "twilio-auth-token-for-tests"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"


@pytest.fixture
def smssync_url(report_map):
    channel = Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")
    return reverse("gateways:smssync", args=[channel.pk])


@pytest.fixture
def twilio_api(httpserver):
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", method="POST"
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    return httpserver


@pytest.fixture
def twilio_path(report_map, settings, twilio_api):
    settings.SITE_URL = SITE
    channel = Channel.objects.create(
        kind="twilio",
        name="Twilio",
        secret=TOKEN,
        config={"account_sid": ACCOUNT, "from": "+254700000001", "api_base": twilio_api.url_for("/")},
    )
    return reverse("gateways:twilio", args=[channel.pk])


def poll(smssync_url):
    return (
        Client().get(smssync_url, {"task": "send", "secret": "smssync-secret"}).json()["payload"]["messages"]
    )


def post_twilio(client, twilio_path):
    return twilio_post(
        client, twilio_path, form("twilio_sms.form"), auth_token=TOKEN, signed_url=f"{SITE}{twilio_path}"
    )


def test_a_hundred_smssync_deliveries_make_one_message_one_report_and_one_reply(
    smssync_url, django_capture_on_commit_callbacks
):
    client = Client()
    handed_out = []
    for _ in range(DELIVERIES):
        # One commit per delivery, as on a server: routing runs between retries.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(smssync_url, data=form("smssync_incoming.form"))
        assert response.status_code == 200
        handed_out += response.json()["payload"].get("messages", [])
    handed_out += poll(smssync_url)
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert len(handed_out) == 1


def test_a_hundred_deliveries_before_routing_runs_still_make_one_of_each(
    smssync_url, django_capture_on_commit_callbacks
):
    client = Client()
    # A backlog: the worker is busy, so every retry lands before the first text is routed.
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(DELIVERIES):
            assert client.post(smssync_url, data=form("smssync_incoming.form")).status_code == 200
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1
    assert len(poll(smssync_url)) == 1


def test_a_hundred_twilio_deliveries_make_one_message_one_report_and_one_reply(
    twilio_path, twilio_api, django_capture_on_commit_callbacks
):
    client = Client()
    for _ in range(DELIVERIES):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_twilio(client, twilio_path)
        assert response.status_code == 200
        assert b"<Message>" not in response.content
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.get().state == OutboundMessage.State.SENT
    assert len(twilio_api.log) == 1


def test_a_routing_task_that_runs_twice_makes_no_second_report_or_reply(
    twilio_path, twilio_api, django_capture_on_commit_callbacks
):
    from samen.messaging.tasks import route

    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(Client(), twilio_path)
    with django_capture_on_commit_callbacks(execute=True):
        assert route.call(InboundMessage.objects.get().pk) == "skipped"
    assert Report.objects.count() == 1
    assert len(twilio_api.log) == 1


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """One SMSSync delivery, committed, so that its routing task runs."""

    def post(url, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(url, data={**form("smssync_incoming.form"), **fields})

    return post


def test_the_same_text_with_a_new_message_id_makes_no_second_report(smssync_url, deliver):
    deliver(smssync_url)
    second = deliver(smssync_url, message_id="a-new-id-from-a-resend")
    assert second.status_code == 200
    # Both deliveries are kept as they arrived; only one becomes a report, and only one is answered.
    assert InboundMessage.objects.count() == 2
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    # The one reply (to the first text) rides on the second answer; there is no other.
    assert len(second.json()["payload"]["messages"]) == 1
    assert poll(smssync_url) == []


def test_the_same_text_after_the_window_is_a_new_report(smssync_url, report_map, time_machine, deliver):
    time_machine.move_to("2024-06-12 12:00Z", tick=False)
    deliver(smssync_url)
    time_machine.shift(timedelta(minutes=report_map.duplicate_window_minutes + 1))
    deliver(smssync_url, message_id="next-day")
    assert Report.objects.count() == 2


def test_the_same_text_from_someone_else_is_a_report_of_its_own(smssync_url, deliver):
    deliver(smssync_url)
    deliver(smssync_url, message_id="other", **{"from": "+254700123456"})
    assert Report.objects.count() == 2
