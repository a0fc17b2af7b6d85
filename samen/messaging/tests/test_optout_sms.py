"""STOP and START by SMS, through the real gateway endpoints with the providers' own payloads."""

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging import signals
from samen.messaging.models import Channel, InboundMessage, OptOut, OutboundMessage
from samen.messaging.outbox import queue
from samen.messaging.tests.payloads import form, text, twilio_post

pytestmark = pytest.mark.django_db

SECRET = "smssync-secret"
NUMBER = "+254712345678"  # the sender in smssync_incoming.form


@pytest.fixture
def phone():
    return Channel.objects.create(kind="smssync", name="Kibera phone", secret=SECRET)


@pytest.fixture
def text_in(phone, django_capture_on_commit_callbacks):
    """The phone POSTs one SMS exactly as SMSSync does; routing runs after commit, as in production."""
    url = reverse("gateways:smssync", args=[phone.pk])

    def post(body, message_id, sender=NUMBER):
        fields = {**form("smssync_incoming.form"), "message": body, "message_id": message_id, "from": sender}
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(url, data=fields)
        assert response.status_code == 200
        return InboundMessage.objects.get(idempotency_key=f"smssync:{message_id}")

    return post


@pytest.fixture
def poll(phone):
    """The phone asks for what it should send (`GET ?task=send`)."""
    url = reverse("gateways:smssync", args=[phone.pk])

    def get():
        return Client().get(url, {"task": "send", "secret": SECRET}).json()["payload"].get("messages", [])

    return get


def test_stop_stops_every_later_message_to_the_number_at_once(phone, text_in, poll):
    stop = text_in("STOP", "m-1")

    assert OptOut.objects.get().address == NUMBER
    alert = queue("smssync", NUMBER, "New report near you", key="alerts:1", channel=phone)
    assert alert.state == OutboundMessage.State.SUPPRESSED
    assert alert.last_error == "not sent: the recipient opted out of sms"
    # Only the answer to the STOP reaches the phone, and nothing after it.
    handed_out = poll()
    assert [(m["to"], m["message"]) for m in handed_out] == [
        (NUMBER, "You will get no more messages from Samen. Reply START to get them again.")
    ]
    assert OutboundMessage.objects.get(provider_id=handed_out[0]["uuid"]).in_reply_to == stop
    assert poll() == []


def test_stop_holds_back_what_was_already_queued_for_the_number(phone, text_in):
    # Waiting on another phone that has not polled yet (or for a push gateway's retry).
    other_phone = Channel.objects.create(kind="smssync", name="Mathare phone", secret="other-secret")
    waiting = queue("smssync", NUMBER, "Tomorrow's water schedule", key="schedule:1", channel=other_phone)
    someone_else = queue(
        "smssync", "+254700000999", "Tomorrow's water schedule", key="schedule:2", channel=other_phone
    )

    text_in("stop", "m-1")

    waiting.refresh_from_db()
    someone_else.refresh_from_db()
    assert waiting.state == OutboundMessage.State.SUPPRESSED
    assert someone_else.state == OutboundMessage.State.QUEUED
    url = reverse("gateways:smssync", args=[other_phone.pk])
    handed_out = Client().get(url, {"task": "send", "secret": "other-secret"}).json()["payload"]["messages"]
    assert [m["to"] for m in handed_out] == ["+254700000999"]


def test_the_answer_goes_out_once_however_often_the_phone_retries(phone, text_in, poll):
    for _ in range(5):
        stop = text_in("Stop.", "m-1")

    assert InboundMessage.objects.count() == 1
    # The retries' own answers carried it to the phone once; nothing is left for a poll.
    answer = OutboundMessage.objects.get(in_reply_to=stop)
    assert answer.state == OutboundMessage.State.SENDING
    assert answer.attempts == 1
    assert poll() == []
    stop.refresh_from_db()
    assert (stop.state, stop.route) == (InboundMessage.State.ANSWERED, "opt-out:STOP")


@pytest.mark.parametrize(
    "word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "Stop all", "opt-out"]
)
def test_each_standard_opt_out_word_opts_out(text_in, word):
    text_in(word, "m-1")
    assert OptOut.objects.filter(address=NUMBER, medium="sms", ended_at__isnull=True).exists()


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_or_unstop_lets_messages_through_again(phone, text_in, poll, word):
    text_in("STOP", "m-1")
    poll()  # the phone sends the answer to the STOP

    again = text_in(word, "m-2")

    opt_out = OptOut.objects.get()
    assert (opt_out.ended_via, opt_out.ended_by_message) == (f"keyword:{word.upper()}", again)
    alert = queue("smssync", NUMBER, "New report near you", key="alerts:1", channel=phone)
    assert alert.state == OutboundMessage.State.QUEUED
    assert [m["message"] for m in poll()] == [
        "You will get messages from Samen again. Reply STOP to stop them.",
        "New report near you",
    ]


def test_a_message_that_only_starts_with_a_word_is_an_ordinary_message(text_in):
    # "End" and "Cancel" start real reports and commands; treating them as STOP would lose them.
    message = text_in("End of the road near the market is flooded", "m-1")
    assert not OptOut.objects.exists()
    assert not message.route.startswith("opt-")


def test_features_hear_about_the_opt_out_with_the_normalised_number(text_in):
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["address"], kwargs["medium"], kwargs["source_message"].pk))

    signals.opted_out.connect(listener)
    try:
        # SMSSync phones may report the number without "+"; features get E.164.
        stop = text_in("STOP", "m-1", sender="254712345678")
    finally:
        signals.opted_out.disconnect(listener)
    assert heard == [(NUMBER, "sms", stop.pk)]


# --- Twilio ---------------------------------------------------------------------------------------

TOKEN = "twilio-auth-token-for-tests"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"
SITE = "https://samen.example"
TWILIO_SENDER = "+254722000111"  # the From in twilio_sms.form


@pytest.fixture
def twilio(settings, httpserver):
    settings.SITE_URL = SITE
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", method="POST"
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    return Channel.objects.create(
        kind="twilio",
        name="Twilio Kenya",
        secret=TOKEN,
        config={"account_sid": ACCOUNT, "from": "+254700000001", "api_base": httpserver.url_for("/")},
    )


def twilio_stop(channel, django_capture_on_commit_callbacks):
    path = reverse("gateways:twilio", args=[channel.pk])
    fields = {**form("twilio_sms.form"), "Body": "STOP"}
    with django_capture_on_commit_callbacks(execute=True):
        response = twilio_post(Client(), path, fields, auth_token=TOKEN, signed_url=f"{SITE}{path}")
    assert response.status_code == 200
    return InboundMessage.objects.get()


def test_stop_by_twilio_is_answered_through_twilio_when_the_account_leaves_stop_to_samen(
    twilio, httpserver, django_capture_on_commit_callbacks
):
    # An account with Twilio's own opt-out handling switched off says so on the channel.
    twilio.config = {**twilio.config, "answers_opt_out_words": False}
    twilio.save()

    stop = twilio_stop(twilio, django_capture_on_commit_callbacks)

    assert OptOut.objects.get(medium="sms").address == TWILIO_SENDER
    answer = OutboundMessage.objects.get(in_reply_to=stop)
    assert (answer.gateway, answer.channel, answer.state) == ("twilio", twilio, OutboundMessage.State.SENT)
    request, _response = httpserver.log[-1]
    assert request.form["To"] == TWILIO_SENDER
    assert request.form["Body"].startswith("You will get no more messages")


def test_a_twilio_account_that_answers_stop_itself_gets_no_second_answer(
    twilio, httpserver, django_capture_on_commit_callbacks
):
    # Twilio's own STOP handling (on by default) replies and blocks the number; a second answer
    # would be refused with error 21610.
    stop = twilio_stop(twilio, django_capture_on_commit_callbacks)

    assert OptOut.objects.get(medium="sms").address == TWILIO_SENDER
    assert not OutboundMessage.objects.exists()
    assert httpserver.log == []
    stop.refresh_from_db()
    assert stop.state == InboundMessage.State.ANSWERED
