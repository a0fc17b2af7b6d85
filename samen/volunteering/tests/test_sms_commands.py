"""JOIN <code> and HOURS <code> <n> by SMS, through the real gateway endpoints and payloads."""

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form, text, twilio_post
from samen.volunteering.models import Participation, TimeEntry

pytestmark = pytest.mark.django_db

PHONE = "+31612345678"  # Mia Member's number in the root conftest
TWILIO_TOKEN = "twilio-auth-token-for-tests"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"
SITE = "https://samen.example"


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def smssync(django_capture_on_commit_callbacks):
    channel = Channel.objects.create(kind="smssync", name="Village phone", secret="smssync-secret")
    url = reverse("gateways:smssync", args=[channel.pk])
    counter = iter(range(1, 1000))

    def send(body, sender=PHONE, message_id=None):
        fields = {
            **form("smssync_incoming.form"),
            "from": sender,
            "message": body,
            "message_id": message_id or f"msg-{next(counter)}",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(url, data=fields)
        assert response.status_code == 200
        return InboundMessage.objects.get(idempotency_key=f"smssync:{fields['message_id']}")

    return send


def reply_to(message) -> str:
    return OutboundMessage.objects.get(in_reply_to=message).body


def test_join_by_sms_applies_and_answers_briefly(opportunity, member, smssync):
    message = smssync("JOIN tran1")
    participation = Participation.objects.get()
    assert (participation.member, participation.state, participation.source) == (member, "applied", "sms")
    answer = reply_to(message)
    assert answer.startswith("Thanks! You applied for TRAN1")
    assert len(answer) <= 160
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ANSWERED


def test_a_retried_delivery_joins_and_answers_once(opportunity, member, smssync):
    smssync("JOIN TRAN1", message_id="same")
    smssync("JOIN TRAN1", message_id="same")
    assert Participation.objects.count() == 1
    assert OutboundMessage.objects.filter(to=PHONE).count() == 1


def test_joining_twice_by_sms_says_so(opportunity, member, smssync):
    smssync("JOIN TRAN1")
    second = smssync("join TRAN1!")
    assert Participation.objects.count() == 1
    assert reply_to(second) == "You already asked to join TRAN1."


def test_an_unknown_code_gets_the_help_text_and_changes_nothing(opportunity, member, smssync):
    message = smssync("JOIN NOPE9")
    assert reply_to(message).startswith("Unknown task code. Send JOIN and the code")
    assert not Participation.objects.exists()
    hours = smssync("HOURS NOPE9 2")
    assert reply_to(hours).startswith("Unknown task code.")
    assert not TimeEntry.objects.exists()


def test_an_unknown_number_is_told_to_add_it_to_the_profile(opportunity, smssync):
    message = smssync("JOIN TRAN1", sender="+254799999999")
    assert "Add it to your Samen profile" in reply_to(message)
    assert not Participation.objects.exists()


def test_hours_by_sms_are_logged_for_the_team_to_confirm(accepted, smssync):
    message = smssync("HOURS TRAN1 1.5 posters")
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.note, entry.state) == (90, "posters", "pending")
    assert reply_to(message) == "Logged 1.5 h for TRAN1. The team will confirm."


@pytest.mark.parametrize("amount", ["0", "-2", "25", "lots"])
def test_bad_hours_by_sms_are_refused_with_a_reason(accepted, smssync, amount):
    message = smssync(f"HOURS TRAN1 {amount}")
    assert not TimeEntry.objects.exists()
    assert reply_to(message)


def test_hours_before_joining_are_refused(opportunity, member, smssync):
    message = smssync("HOURS TRAN1 2")
    assert reply_to(message) == "You are not on TRAN1 yet. Send JOIN TRAN1 first."
    assert not TimeEntry.objects.exists()


def test_a_retried_hours_text_logs_once(accepted, smssync):
    smssync("HOURS TRAN1 2", message_id="h1")
    smssync("HOURS TRAN1 2", message_id="h1")
    assert TimeEntry.objects.count() == 1


def test_stop_still_belongs_to_messaging(opportunity, member, smssync):
    from samen.messaging import optout

    smssync("STOP")
    assert optout.is_opted_out(PHONE, optout.Medium.SMS)


def test_join_through_twilio_with_a_signed_request(
    opportunity, member, httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", method="POST"
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    channel = Channel.objects.create(
        kind="twilio",
        name="Twilio",
        secret=TWILIO_TOKEN,
        config={"account_sid": ACCOUNT, "from": "+254700000001", "api_base": httpserver.url_for("/")},
    )
    path = reverse("gateways:twilio", args=[channel.pk])
    fields = {**form("twilio_sms.form"), "Body": "JOIN TRAN1", "From": PHONE}
    with django_capture_on_commit_callbacks(execute=True):
        response = twilio_post(Client(), path, fields, auth_token=TWILIO_TOKEN, signed_url=f"{SITE}{path}")
    assert response.status_code == 200
    assert Participation.objects.get().member == member
    reply = OutboundMessage.objects.get(to=PHONE)
    assert reply.gateway == "twilio" and reply.body.startswith("Thanks! You applied for TRAN1")


def test_an_unsigned_twilio_request_joins_nobody(opportunity, member):
    channel = Channel.objects.create(
        kind="twilio", name="Twilio", secret=TWILIO_TOKEN, config={"account_sid": ACCOUNT}
    )
    path = reverse("gateways:twilio", args=[channel.pk])
    fields = {**form("twilio_sms.form"), "Body": "JOIN TRAN1", "From": PHONE}
    response = Client().post(path, data=fields)
    assert response.status_code == 403
    assert not Participation.objects.exists()


def test_hours_through_africas_talking(accepted, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(
        kind="africastalking", name="AT", secret="at-secret", config={"username": "sandbox"}
    )
    url = reverse("gateways:africastalking", args=[channel.pk]) + "?secret=at-secret"
    fields = {**form("africastalking_incoming.form"), "text": "HOURS TRAN1 3", "from": PHONE}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url, data=fields)
    assert response.status_code == 200
    assert TimeEntry.objects.get().minutes == 180
