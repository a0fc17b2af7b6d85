import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from twilio.request_validator import RequestValidator

from samen.messaging import router
from samen.messaging.gateways import Media, TransportError, get_gateway
from samen.messaging.models import Channel, DeliveryAttempt, InboundMessage, OutboundMessage
from samen.messaging.outbox import queue
from samen.messaging.tests.payloads import form, raw, text, twilio_post

pytestmark = pytest.mark.django_db


def statements(queries) -> list[str]:
    """The kinds of SQL statements run, leaving out transaction control (savepoints)."""
    kinds = (query["sql"].split(None, 1)[0].upper() for query in queries.captured_queries)
    return [kind for kind in kinds if kind in {"SELECT", "INSERT", "UPDATE", "DELETE"}]


TOKEN = "twilio-auth-token-for-tests"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"
SITE = "https://samen.example"


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def channel():
    return Channel.objects.create(
        kind="twilio",
        name="Twilio Kenya",
        secret=TOKEN,
        config={"account_sid": ACCOUNT, "from": "+254700000001"},
    )


@pytest.fixture
def path(channel):
    return reverse("gateways:twilio", args=[channel.pk])


@pytest.fixture
def replies():
    """A route that answers every Twilio message, as a feature app would."""

    def answer(message):
        queue(
            "twilio",
            message.sender,
            "Thanks, we got it.",
            key=f"test:{message.pk}",
            channel=message.channel,
            in_reply_to=message,
        )

    router.register_route("test.twilio-replies", lambda m: m.gateway == "twilio", answer)
    yield
    router.unregister_route("test.twilio-replies")


def send(path, fields=None, **extra):
    fields = fields or form("twilio_sms.form")
    return twilio_post(Client(), path, fields, auth_token=TOKEN, signed_url=f"{SITE}{path}", **extra)


def test_a_signed_message_is_stored_and_answered_with_empty_twiml(path, channel):
    response = send(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    message = InboundMessage.objects.get()
    assert message.idempotency_key == "twilio:SM1f0e2b6d4a8c4e1bb1d0c9e8f7a6b5c4"
    assert message.sender == "+254722000111"
    assert message.recipient == "+254700000001"
    assert message.channel == channel
    assert json.loads(message.raw)["ApiVersion"] == "2010-04-01"


def test_the_signature_is_checked_against_the_public_site_url_not_the_proxy_url(path):
    # Django sees http://testserver/...; Twilio signed https://samen.example/...: that must pass,
    response = send(path)
    assert response.status_code == 200
    # and a signature for the URL as the proxy forwarded it must not.
    internal = twilio_post(
        Client(), path, form("twilio_sms.form"), auth_token=TOKEN, signed_url=f"http://testserver{path}"
    )
    assert internal.status_code == 403


def test_a_channel_can_name_the_exact_url_twilio_calls(path, channel):
    channel.config = {**channel.config, "webhook_url": "https://tunnel.example/sms"}
    channel.save()
    response = twilio_post(
        Client(), path, form("twilio_sms.form"), auth_token=TOKEN, signed_url="https://tunnel.example/sms"
    )
    assert response.status_code == 200


def test_an_unsigned_request_gets_403_is_logged_and_stores_nothing(path, caplog):
    response = Client().post(path, data=form("twilio_sms.form"))
    assert response.status_code == 403
    assert response.json() == {"error": "Invalid or missing X-Twilio-Signature"}
    assert InboundMessage.objects.count() == 0
    assert "X-Twilio-Signature" in caplog.text


def test_a_signature_made_with_another_token_is_refused(path):
    fields = form("twilio_sms.form")
    response = twilio_post(
        Client(), path, fields, auth_token="someone-elses-token", signed_url=f"{SITE}{path}"
    )
    assert response.status_code == 403


def test_a_tampered_body_is_refused(path):
    fields = form("twilio_sms.form")
    signature = RequestValidator(TOKEN).compute_signature(f"{SITE}{path}", fields)
    tampered = {**fields, "Body": "maji send money to +254700999999"}
    response = Client().post(path, data=tampered, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


def test_a_message_for_another_account_is_refused(path):
    response = send(path, {**form("twilio_sms.form"), "AccountSid": "AC" + "f" * 32})
    assert response.status_code == 403


def test_a_signed_but_malformed_message_gets_400(path):
    fields = form("twilio_sms.form")
    del fields["MessageSid"]
    response = send(path, fields)
    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_get_is_not_allowed(path):
    assert Client().get(path).status_code == 405


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.fixture
def twilio_api(channel, httpserver):
    """Twilio's Messages resource, answering as it documents; the channel sends there."""
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", method="POST"
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    channel.config = {**channel.config, "api_base": httpserver.url_for("/")}
    channel.save()
    return httpserver


def test_the_answer_is_empty_and_the_reply_goes_out_through_the_rest_api(
    path, replies, twilio_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(path)
    # Routing runs after the answer, so the answer cannot carry the reply.
    assert response.content.decode() == EMPTY_TWIML
    request, _response = twilio_api.log[0]
    assert request.form["To"] == "+254722000111"
    assert request.form["Body"] == "Thanks, we got it."
    outbound = OutboundMessage.objects.get()
    assert outbound.state == OutboundMessage.State.SENT
    assert outbound.in_reply_to == InboundMessage.objects.get()
    assert outbound.provider_id == "SM5a4b3c2d1e0f4a9b8c7d6e5f4a3b2c1d"
    assert DeliveryAttempt.objects.filter(message=outbound, ok=True).count() == 1


def test_a_retried_delivery_gets_no_second_reply(
    path, replies, twilio_api, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert send(path).content.decode() == EMPTY_TWIML
    assert InboundMessage.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert len(twilio_api.log) == 1


def test_the_webhook_answers_before_routing(path, replies, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = send(path)
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.state == InboundMessage.State.NEW
    assert not OutboundMessage.objects.exists()
    assert len(callbacks) == 1  # the routing task, enqueued once the message is safely stored


def test_send_posts_to_the_messages_resource_with_basic_auth(channel, httpserver):
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        method="POST",
        data="To=%2B254722000111&Body=Thank+you.&From=%2B254700000001",
    ).respond_with_data(text("twilio_message_created.json"), status=201, content_type="application/json")
    channel.config = {**channel.config, "api_base": httpserver.url_for("/")}
    outbound = OutboundMessage(gateway="twilio", to="+254722000111", body="Thank you.", idempotency_key="k")
    assert get_gateway("twilio", channel).send(outbound) == "SM5a4b3c2d1e0f4a9b8c7d6e5f4a3b2c1d"
    request, _response = httpserver.log[0]
    assert request.authorization.username == ACCOUNT
    assert request.authorization.password == TOKEN


def test_an_invalid_number_is_a_permanent_error(channel, httpserver):
    httpserver.expect_request(f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json").respond_with_data(
        text("twilio_error_21211.json"), status=400, content_type="application/json"
    )
    channel.config = {**channel.config, "api_base": httpserver.url_for("/")}
    outbound = OutboundMessage(gateway="twilio", to="+2547", body="Hi", idempotency_key="k")
    with pytest.raises(TransportError, match="21211") as raised:
        get_gateway("twilio", channel).send(outbound)
    assert raised.value.permanent is True


def test_a_server_error_is_worth_retrying(channel, httpserver):
    httpserver.expect_request(f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json").respond_with_data(
        "", status=503
    )
    channel.config = {**channel.config, "api_base": httpserver.url_for("/")}
    outbound = OutboundMessage(gateway="twilio", to="+254722000111", body="Hi", idempotency_key="k")
    with pytest.raises(TransportError) as raised:
        get_gateway("twilio", channel).send(outbound)
    assert raised.value.permanent is False


def test_mms_media_are_listed_from_the_stored_payload(path, channel):
    send(path, form("twilio_mms.form"))
    media = get_gateway("twilio", channel).media(InboundMessage.objects.get())
    assert media == [
        Media(
            name="MM9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d-0.jpg",
            content_type="image/jpeg",
            url=form("twilio_mms.form")["MediaUrl0"],
        )
    ]


def test_media_are_downloaded_with_the_accounts_basic_auth(channel, httpserver):
    httpserver.expect_request("/media/ME1").respond_with_data(raw("photo.jpg"), content_type="image/jpeg")
    media = Media(name="photo.jpg", content_type="image/jpeg", url=httpserver.url_for("/media/ME1"))
    assert get_gateway("twilio", channel).fetch_media(media) == raw("photo.jpg")
    request, _response = httpserver.log[0]
    assert request.authorization.username == ACCOUNT


def test_media_follow_twilios_redirect_to_storage_but_never_inside_our_network(channel, httpserver):
    httpserver.expect_request("/media/ME1").respond_with_data(
        "", status=307, headers={"Location": httpserver.url_for("/storage/ME1.jpg")}
    )
    httpserver.expect_request("/storage/ME1.jpg").respond_with_data(
        raw("photo.jpg"), content_type="image/jpeg"
    )
    gateway = get_gateway("twilio", channel)
    media = Media(name="photo.jpg", content_type="image/jpeg", url=httpserver.url_for("/media/ME1"))
    assert gateway.fetch_media(media) == raw("photo.jpg")

    httpserver.expect_request("/media/ME2").respond_with_data(
        "", status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    media = Media(name="photo.jpg", content_type="image/jpeg", url=httpserver.url_for("/media/ME2"))
    with pytest.raises(TransportError, match="not a public address") as caught:
        gateway.fetch_media(media)
    assert caught.value.permanent


def test_a_new_message_is_one_insert_after_the_channel(path, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        assert send(path).status_code == 200
    assert statements(queries) == ["SELECT", "INSERT"]
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_recipient_who_texted_stop_to_twilio_fails_one_message_not_the_channel(channel, httpserver):
    from samen.messaging.tasks import deliver

    httpserver.expect_request(f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json").respond_with_data(
        text("twilio_error_21610.json"), status=400, content_type="application/json"
    )
    channel.config = {**channel.config, "api_base": httpserver.url_for("/")}
    channel.save()
    outbound = OutboundMessage.objects.create(
        gateway="twilio", channel=channel, to="+254722000111", body="Hi", idempotency_key="stopped"
    )

    deliver.call(outbound.pk)

    outbound.refresh_from_db()
    channel.refresh_from_db()
    assert outbound.state == OutboundMessage.State.FAILED
    assert "21610" in outbound.last_error
    assert channel.enabled, "one opted-out recipient must not switch the channel off for everyone"


def test_twilio_answers_stop_itself_so_samen_sends_no_confirmation():
    assert get_gateway("twilio").answers_opt_out_words is True
