"""Texts become reports: SMSSync, Twilio (with MMS), Africa's Talking and FrontlineSMS, end to end."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.gateways.smssync import outbound_uuid
from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, raw, text, twilio_post
from samen.reports.models import Attachment, Report

pytestmark = pytest.mark.django_db

TWILIO_TOKEN = "twilio-auth-token-for-tests"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"
SITE = "https://samen.example"


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def smssync(report_map):
    channel = Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")
    return channel, reverse("gateways:smssync", args=[channel.pk])


@pytest.fixture
def twilio(report_map, httpserver):
    """A Twilio channel whose REST API (for the auto-reply) is the local test server."""
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", method="POST"
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    channel = Channel.objects.create(
        kind="twilio",
        name="Twilio",
        secret=TWILIO_TOKEN,
        config={"account_sid": ACCOUNT, "from": "+254700000001", "api_base": httpserver.url_for("/")},
    )
    return channel, reverse("gateways:twilio", args=[channel.pk])


def requests_to(httpserver, path):
    return [request for request, _response in httpserver.log if request.path == path]


@pytest.fixture
def sms(django_capture_on_commit_callbacks):
    """Post a text as the SMSSync phone does, and let the routing task run (enqueued on commit)."""

    def post(url, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(url, data={**form("smssync_incoming.form"), **fields})

    return post


def poll(url):
    return Client().get(url, {"task": "send", "secret": "smssync-secret"}).json()["payload"]["messages"]


def test_a_text_starting_with_the_keyword_becomes_a_report(smssync, report_map, sms):
    channel, url = smssync
    sms(url)
    report = Report.objects.get()
    message = InboundMessage.objects.get()
    assert report.report_map == report_map
    assert report.source == Report.Source.SMS
    assert report.status == Report.Status.RECEIVED
    assert report.title == "The tap at Olympic primary school is broken,…"
    assert report.description == "The tap at Olympic primary school is broken, water everywhere"
    assert report.reporter_contact == "+254712345678"
    assert report.external_id == "smssync:82fcd6d1-9f5a-4c6e-a4d4-6bde0f0f4a11"
    assert report.inbound == message
    # sent_timestamp is in milliseconds: 1718193600000 is noon on 12 June 2024.
    assert report.event_at == datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
    assert message.state == InboundMessage.State.ROUTED
    assert message.route == "reports.intake"


def test_the_keyword_is_matched_in_any_case_and_with_punctuation(smssync, sms):
    _channel, url = smssync
    sms(url, message="Maji: tap broken at the school")
    assert Report.objects.get().description == "tap broken at the school"


def test_a_text_to_the_maps_number_becomes_a_report_without_a_keyword(smssync, sms):
    _channel, url = smssync
    sms(url, message="Borehole dry at Makina", sent_to="0700 000 001")
    assert Report.objects.get().description == "Borehole dry at Makina"


def test_a_text_nobody_takes_stays_new_for_a_person(smssync, sms):
    _channel, url = smssync
    sms(url, message="hello is anyone there", sent_to="+254799999999")
    assert Report.objects.count() == 0
    assert InboundMessage.objects.get().state == InboundMessage.State.NEW


def test_a_bare_keyword_makes_no_empty_report(smssync, sms):
    _channel, url = smssync
    sms(url, message="MAJI")
    assert Report.objects.count() == 0


def test_a_map_with_sms_switched_off_takes_no_texts(smssync, report_map, sms):
    report_map.channels = ["web", "email"]
    report_map.save()
    _channel, url = smssync
    sms(url)
    assert Report.objects.count() == 0


def test_the_auto_reply_is_handed_to_the_phone_on_its_next_poll(smssync, sms):
    channel, url = smssync
    answer = sms(url).json()["payload"]
    report = Report.objects.get()
    reply = OutboundMessage.objects.get()
    assert reply.idempotency_key == f"reports.auto_reply:{report.pk}"
    assert reply.channel == channel
    assert reply.in_reply_to == InboundMessage.objects.get()
    # The phone got its answer before the report existed; the reply waits for the poll.
    assert "messages" not in answer
    assert poll(url) == [
        {
            "to": "+254712345678",
            "message": f"Thank you. Your report number is {report.pk}.",
            "uuid": outbound_uuid(reply),
        }
    ]
    assert poll(url) == []


def test_no_auto_reply_when_the_map_has_none(smssync, report_map, sms):
    report_map.auto_reply = ""
    report_map.save()
    _channel, url = smssync
    sms(url)
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 0
    assert poll(url) == []


def test_an_unsigned_twilio_post_makes_no_report(twilio):
    _channel, path = twilio
    response = Client().post(path, data=form("twilio_sms.form"))
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_a_twilio_text_becomes_a_report_and_the_reply_goes_out_through_the_rest_api(
    twilio, httpserver, django_capture_on_commit_callbacks
):
    _channel, path = twilio
    with django_capture_on_commit_callbacks(execute=True):
        response = twilio_post(
            Client(), path, form("twilio_sms.form"), auth_token=TWILIO_TOKEN, signed_url=f"{SITE}{path}"
        )
    report = Report.objects.get()
    assert report.external_id == "twilio:SM1f0e2b6d4a8c4e1bb1d0c9e8f7a6b5c4"
    assert report.description == "Borehole near Kibera market is dry since Monday"
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    [request] = requests_to(httpserver, f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    assert request.form["Body"] == f"Thank you. Your report number is {report.pk}."
    assert request.form["To"] == "+254722000111"
    assert OutboundMessage.objects.get().state == OutboundMessage.State.SENT


def test_mms_pictures_are_downloaded_and_kept_with_the_report(
    twilio, httpserver, django_capture_on_commit_callbacks
):
    _channel, path = twilio
    httpserver.expect_request(
        "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Media/ME0"
    ).respond_with_data(raw("photo.jpg"), content_type="image/jpeg")
    media_url = httpserver.url_for("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Media/ME0")
    fields = {**form("twilio_mms.form"), "MediaUrl0": media_url}
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(Client(), path, fields, auth_token=TWILIO_TOKEN, signed_url=f"{SITE}{path}")
    attachment = Attachment.objects.get()
    assert attachment.report == Report.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.source_url == media_url
    assert attachment.size == len(raw("photo.jpg"))
    assert attachment.sha256 == hashlib.sha256(raw("photo.jpg")).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == raw("photo.jpg")
    [request] = requests_to(httpserver, f"/2010-04-01/Accounts/{ACCOUNT}/Media/ME0")
    assert request.authorization.username == ACCOUNT


def test_fetching_media_twice_keeps_one_copy(twilio, httpserver, django_capture_on_commit_callbacks):
    from samen.reports.intake import attach_media

    _channel, path = twilio
    httpserver.expect_request("/media/ME0").respond_with_data(raw("photo.jpg"), content_type="image/jpeg")
    fields = {**form("twilio_mms.form"), "MediaUrl0": httpserver.url_for("/media/ME0")}
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(Client(), path, fields, auth_token=TWILIO_TOKEN, signed_url=f"{SITE}{path}")
    report = Report.objects.get()
    assert attach_media.call(report.pk, report.inbound_id) == 0
    assert Attachment.objects.count() == 1


def test_a_media_server_that_fails_leaves_the_report_in_place(
    twilio, httpserver, django_capture_on_commit_callbacks
):
    _channel, path = twilio
    httpserver.expect_request("/media/ME0").respond_with_data("gone", status=404)
    fields = {**form("twilio_mms.form"), "MediaUrl0": httpserver.url_for("/media/ME0")}
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(Client(), path, fields, auth_token=TWILIO_TOKEN, signed_url=f"{SITE}{path}")
    assert Report.objects.count() == 1
    assert Attachment.objects.count() == 0


def test_an_africas_talking_text_becomes_a_report_and_is_answered_with_its_link_id(
    report_map, httpserver, django_capture_on_commit_callbacks
):
    channel = Channel.objects.create(
        kind="africastalking",
        name="AT",
        secret="at-secret",
        config={"username": "sandbox", "api_key": "k", "api_base": httpserver.url_for("/").rstrip("/")},
    )
    httpserver.expect_request("/version1/messaging", method="POST").respond_with_data(
        text("africastalking_sent.json"), status=201, content_type="application/json"
    )
    url = reverse("gateways:africastalking", args=[channel.pk]) + "?secret=at-secret"
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(url, data=form("africastalking_incoming.form"))
    report = Report.objects.get()
    assert report.description == "Water kiosk in Gatwekera closed, no water for two days"
    assert report.event_at == datetime(2024, 6, 12, 11, 34, 12, tzinfo=UTC)
    request, _response = httpserver.log[0]
    assert request.form["message"] == f"Thank you. Your report number is {report.pk}."
    assert request.form["linkId"] == "SampleLinkId123"
    assert OutboundMessage.objects.get().state == OutboundMessage.State.SENT


def test_a_frontlinesms_text_becomes_a_report_and_is_answered_through_frontlinesms(
    report_map, httpserver, django_capture_on_commit_callbacks
):
    channel = Channel.objects.create(
        kind="frontlinesms",
        name="Frontline",
        secret="frontline-secret",
        config={"server": httpserver.url_for("/").rstrip("/"), "api_key": "fl-key"},
    )
    httpserver.expect_request("/api/1/webhook", method="POST").respond_with_json({})
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("gateways:frontlinesms", args=[channel.pk]), data=form("frontlinesms_incoming.form")
        )
    report = Report.objects.get()
    assert report.description == "Standpipe leaking at Laini Saba"
    request, _response = httpserver.log[0]
    assert request.json["payload"]["recipients"] == [{"type": "mobile", "value": "+254744000444"}]
