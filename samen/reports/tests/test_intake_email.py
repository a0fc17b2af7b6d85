"""E-mails become reports, through Mailgun's inbound webhook (anymail) or IMAP polling."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from samen.messaging.gateways.inbound_email import receive_email
from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import mailgun_multipart, raw, text
from samen.reports.models import Attachment, Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(report_map):
    return Channel.objects.create(
        kind="inbound_email",
        name="Mailgun",
        secret="key-mailgun-signing-for-tests",
        config={"from_email": "Kibera water reports <reports@samen.example>"},
    )


def post_mailgun(channel, body=None):
    return Client().post(
        reverse("gateways:inbound_email", args=[channel.pk]),
        data=body or mailgun_multipart("key-mailgun-signing-for-tests"),  # signed now, as Mailgun would
        content_type=text("mailgun_inbound.content-type").strip(),
    )


def test_a_mailgun_email_becomes_a_report_with_its_photo(
    channel, report_map, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_mailgun(channel).status_code == 200
    report = Report.objects.get()
    assert report.report_map == report_map
    assert report.source == Report.Source.EMAIL
    assert report.title == "Broken water point at Soweto East"
    assert report.description.startswith("The water point near the Soweto East chief's camp")
    assert report.reporter_contact == "amina@example.org"
    assert (
        report.external_id == "inbound_email:CAB7w3Zx1q2W9e8R7t6Y5u4I3o2P1a0S9d8F7g6H5j4K3l2@mail.example.org"
    )
    attachment = Attachment.objects.get(report=report)
    assert attachment.original_name == "water-point.jpg"
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as stored:
        assert stored.read() == raw("photo.jpg")


def test_the_auto_reply_is_an_email_from_the_channels_address_sent_once(
    channel, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            post_mailgun(channel)
    report = Report.objects.get()
    assert len(mail.outbox) == 1
    reply = mail.outbox[0]
    assert reply.to == ["amina@example.org"]
    assert reply.from_email == "Kibera water reports <reports@samen.example>"
    assert reply.subject == "Re: Broken water point at Soweto East"
    assert reply.body == f"Thank you. Your report number is {report.pk}."
    assert OutboundMessage.objects.get().state == OutboundMessage.State.SENT


def test_a_badly_signed_email_makes_no_report(channel, django_capture_on_commit_callbacks):
    Channel.objects.filter(pk=channel.pk).update(secret="another-key")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_mailgun(channel).status_code == 403
    assert Report.objects.count() == 0


def test_an_email_fetched_by_imap_becomes_a_report(report_map, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receive_email(raw("email_with_photo.eml"))
    report = Report.objects.get()
    assert report.source == Report.Source.EMAIL
    assert report.event_at.isoformat() == "2024-06-12T10:14:55+00:00"
    assert Attachment.objects.filter(report=report).count() == 1


def test_an_email_to_another_address_is_left_for_a_person(report_map, django_capture_on_commit_callbacks):
    eml = raw("email_with_photo.eml").replace(
        b"To: Kibera water reports <reports@samen.example>", b"To: info@samen.example"
    )
    eml = eml.replace(b"Delivered-To: reports@samen.example", b"Delivered-To: info@samen.example")
    with django_capture_on_commit_callbacks(execute=True):
        receive_email(eml)
    assert Report.objects.count() == 0
    assert InboundMessage.objects.get().state == InboundMessage.State.NEW


def test_a_map_with_email_switched_off_takes_no_email(report_map, django_capture_on_commit_callbacks):
    report_map.channels = ["web", "sms"]
    report_map.save()
    with django_capture_on_commit_callbacks(execute=True):
        receive_email(raw("email_with_photo.eml"))
    assert Report.objects.count() == 0


def test_an_auto_responders_email_makes_a_report_but_gets_no_answer(
    report_map, django_capture_on_commit_callbacks
):
    eml = raw("email_with_photo.eml").replace(
        b"MIME-Version: 1.0", b"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0", 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        receive_email(eml)
    assert Report.objects.count() == 1
    assert OutboundMessage.objects.count() == 0
    assert mail.outbox == []
