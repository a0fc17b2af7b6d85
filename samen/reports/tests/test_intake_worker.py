"""Intake through the real default task backend: the webhook stores, django-tasks-db's worker routes."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from samen.messaging.gateways.smssync import outbound_uuid
from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, text, twilio_post
from samen.reports.models import Report

SITE = "https://samen.example"
TOKEN = "twilio-auth-token-for-tests"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")


# Transactional: the message and its task are committed by the request, as on a real server, and
# the worker reads them in its own transactions.
@pytest.mark.django_db(transaction=True)
def test_the_db_worker_routes_an_smssync_text_into_a_report(database_tasks, report_map):
    from django_tasks_db.models import DBTaskResult

    channel = Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")
    url = reverse("gateways:smssync", args=[channel.pk])

    response = Client().post(url, data=form("smssync_incoming.form"))

    assert response.json() == {"payload": {"success": True, "error": None}}
    assert InboundMessage.objects.get().state == InboundMessage.State.NEW
    assert Report.objects.count() == 0

    run_worker()

    message = InboundMessage.objects.get()
    report = Report.objects.get()
    assert (message.state, message.route) == (InboundMessage.State.ROUTED, "reports.intake")
    assert report.inbound == message
    assert report.description == "The tap at Olympic primary school is broken, water everywhere"
    assert {task.status for task in DBTaskResult.objects.all()} == {"SUCCESSFUL"}
    # The auto-reply waits for the phone, which collects it on its next poll.
    reply = OutboundMessage.objects.get()
    assert reply.state == OutboundMessage.State.QUEUED
    polled = Client().get(url, {"task": "send", "secret": "smssync-secret"}).json()["payload"]["messages"]
    assert [m["uuid"] for m in polled] == [outbound_uuid(reply)]


@pytest.mark.django_db(transaction=True)
def test_the_db_worker_routes_a_twilio_text_and_sends_the_reply_once(
    database_tasks, report_map, settings, httpserver
):
    settings.SITE_URL = SITE
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", method="POST"
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    channel = Channel.objects.create(
        kind="twilio",
        name="Twilio",
        secret=TOKEN,
        config={"account_sid": ACCOUNT, "from": "+254700000001", "api_base": httpserver.url_for("/")},
    )
    path = reverse("gateways:twilio", args=[channel.pk])
    for _ in range(3):  # Twilio retries a webhook it thinks failed
        twilio_post(Client(), path, form("twilio_sms.form"), auth_token=TOKEN, signed_url=f"{SITE}{path}")

    run_worker()
    run_worker()  # a second pass finds nothing left to do

    report = Report.objects.get()
    assert len(httpserver.log) == 1
    request, _response = httpserver.log[0]
    assert request.form["Body"] == f"Thank you. Your report number is {report.pk}."
    assert OutboundMessage.objects.get().state == OutboundMessage.State.SENT
