import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samen.messaging.gateways import get_gateway, inbound_email
from samen.messaging.gateways.inbound_email import receive_email
from samen.messaging.models import Channel, InboundMessage, SeenWebhookToken
from samen.messaging.tests.payloads import mailgun_multipart, raw, text

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-mailgun-signing-for-tests"  # the key the fixture's signature was made with
MESSAGE_ID = "CAB7w3Zx1q2W9e8R7t6Y5u4I3o2P1a0S9d8F7g6H5j4K3l2@mail.example.org"


@pytest.fixture
def channel():
    return Channel.objects.create(
        kind="inbound_email",
        name="Mailgun",
        secret=SIGNING_KEY,
        config={"from_email": "reports@samen.example"},
    )


@pytest.fixture
def path(channel):
    return reverse("gateways:inbound_email", args=[channel.pk])


def signed(**signature) -> bytes:
    """The recorded post, signed as Mailgun signs each attempt (now, with a new token) unless told."""
    return mailgun_multipart(SIGNING_KEY, **signature)


def post_mailgun(path, body: bytes | None = None, **extra):
    return Client().post(
        path,
        data=body if body is not None else signed(),
        content_type=text("mailgun_inbound.content-type").strip(),
        **extra,
    )


def test_a_signed_mailgun_post_is_stored_as_mime(path, channel):
    response = post_mailgun(path)
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.idempotency_key == f"inbound_email:{MESSAGE_ID}"
    assert message.channel == channel
    assert message.sender == "amina@example.org"
    assert "reports@samen.example" in message.recipient.split(", ")
    assert message.subject == "Broken water point at Soweto East"
    # Mailgun's stripped text: the report without the signature.
    assert message.body.startswith("The water point near the Soweto East")
    assert not message.body.endswith("Amina")
    assert "Content-Type: multipart/mixed" in message.raw


def test_the_attachment_comes_back_from_the_stored_message(path, channel):
    post_mailgun(path)
    media = get_gateway("inbound_email", channel).media(InboundMessage.objects.get())
    assert [(m.name, m.content_type, m.content) for m in media] == [
        ("water-point.jpg", "image/jpeg", raw("photo.jpg"))
    ]


def test_a_redelivered_post_is_one_message(path):
    for _ in range(3):
        assert post_mailgun(path).status_code == 200
    assert InboundMessage.objects.count() == 1


def test_a_post_signed_with_another_key_gets_403_is_logged_and_stores_nothing(path, channel, caplog):
    Channel.objects.filter(pk=channel.pk).update(secret="key-of-someone-else")
    response = post_mailgun(path)
    assert response.status_code == 403
    assert response.json() == {"error": "Invalid or missing webhook signature"}
    assert InboundMessage.objects.count() == 0
    assert "incorrect signature" in caplog.text


def test_an_unsigned_post_gets_403(path):
    body = signed().replace(b'name="signature"', b'name="unsigned"')
    assert post_mailgun(path, body).status_code == 403
    assert InboundMessage.objects.count() == 0


def test_a_channel_without_a_signing_key_refuses_everything(path, channel):
    Channel.objects.filter(pk=channel.pk).update(secret="")
    assert post_mailgun(path).status_code == 403


def basic(credentials: bytes) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Basic {base64.b64encode(credentials).decode()}"}


def test_basic_auth_is_required_when_the_channel_sets_it(path, channel):
    channel.config = {**channel.config, "basic_auth": "mailgun:s3cret"}
    channel.save()
    assert post_mailgun(path).status_code == 403
    assert post_mailgun(path, **basic(b"mailgun:s3cret")).status_code == 200


def test_the_global_webhook_secret_guards_a_channel_without_its_own(path, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "samen:gl0bal"}

    assert post_mailgun(path).status_code == 403
    assert post_mailgun(path, **basic(b"mailgun:s3cret")).status_code == 403
    assert InboundMessage.objects.count() == 0
    assert post_mailgun(path, **basic(b"samen:gl0bal")).status_code == 200
    assert InboundMessage.objects.count() == 1


def test_a_channels_own_basic_auth_stands_in_for_the_global_secret(path, channel, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "samen:gl0bal"}
    channel.config = {**channel.config, "basic_auth": "mailgun:s3cret"}
    channel.save()

    assert post_mailgun(path, **basic(b"samen:gl0bal")).status_code == 403
    assert post_mailgun(path, **basic(b"mailgun:s3cret")).status_code == 200


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(days=7), -timedelta(minutes=6)])
def test_a_signature_more_than_five_minutes_from_now_is_refused(path, caplog, age):
    # Rightly signed with the key, but made long ago (or far ahead): a captured post replayed.
    body = signed(timestamp=int((timezone.now() - age).timestamp()))

    response = post_mailgun(path, body)

    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0
    assert "more than five minutes" in caplog.text


def test_a_signature_within_five_minutes_is_taken(path):
    body = signed(timestamp=int((timezone.now() - timedelta(minutes=4)).timestamp()))
    assert post_mailgun(path, body).status_code == 200


def test_a_replayed_token_is_refused_even_within_its_five_minutes(path, caplog):
    body = signed()
    assert post_mailgun(path, body).status_code == 200

    for _ in range(2):
        response = post_mailgun(path, body)
        assert response.status_code == 403
    assert "seen before" in caplog.text
    assert SeenWebhookToken.objects.filter(provider="mailgun").count() == 1


def test_a_token_is_spent_only_when_the_post_is_stored(path, monkeypatch):
    # The first attempt fails while storing (Mailgun gets a 5xx and tries again with the same
    # signature): its token must not make the retry look like a replay.
    body = signed()
    broken = Client(raise_request_exception=False)

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(inbound_email, "receive_email", fail)
    response = broken.post(path, data=body, content_type=text("mailgun_inbound.content-type").strip())
    assert response.status_code == 500
    assert not SeenWebhookToken.objects.exists()
    monkeypatch.undo()

    assert post_mailgun(path, body).status_code == 200
    assert InboundMessage.objects.count() == 1


def test_expired_tokens_are_forgotten(path):
    SeenWebhookToken.objects.create(
        provider="mailgun", token="old" * 10, expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert post_mailgun(path).status_code == 200
    assert not SeenWebhookToken.objects.filter(token="old" * 10).exists()
    assert SeenWebhookToken.objects.count() == 1  # this post's own


def test_a_tracking_event_sent_to_the_inbound_url_gets_400(path):
    body = signed().replace(b"reports@samen.example\r\n", b"reports@samen.example\r\n", 1)
    body = body.replace(
        b'name="subject"',
        b'name="event"\r\n\r\ndelivered\r\n--'
        + b'----MailgunFormBoundary7f3a9c1e5b\r\nContent-Disposition: form-data; name="subject"',
        1,
    )
    response = post_mailgun(path, body)
    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_the_same_email_by_imap_and_by_webhook_is_one_message(path, channel):
    post_mailgun(path)
    _message, created = receive_email(raw("email_with_photo.eml"), channel=channel)
    assert created is False
    assert InboundMessage.objects.count() == 1


def test_an_email_without_message_id_is_identified_by_its_content(channel):
    eml = raw("email_with_photo.eml").replace(b"Message-ID:", b"X-Old-Message-ID:")
    first, created = receive_email(eml, channel=channel)
    again, created_again = receive_email(eml, channel=channel)
    assert created and not created_again
    assert first.pk == again.pk
    assert first.idempotency_key.startswith("inbound_email:sha256:")


def test_the_sent_date_comes_from_the_date_header(channel):
    message, _ = receive_email(raw("email_with_photo.eml"), channel=channel)
    sent = get_gateway("inbound_email", channel).sent_at(message)
    assert sent is not None
    assert sent.isoformat() == "2024-06-12T13:14:55+03:00"


@pytest.mark.parametrize(
    "header",
    [
        b"Auto-Submitted: auto-replied",
        b"Precedence: bulk",
        b"List-Id: <water.lists.example.org>",
        b"X-Autoreply: yes",
    ],
)
def test_machine_sent_mail_gets_no_automatic_answer(channel, header):
    eml = raw("email_with_photo.eml").replace(b"MIME-Version: 1.0", header + b"\r\nMIME-Version: 1.0", 1)
    message, _ = receive_email(eml, channel=channel)
    assert get_gateway("inbound_email", channel).auto_reply_allowed(message) is False


def test_a_person_gets_an_automatic_answer(channel):
    message, _ = receive_email(raw("email_with_photo.eml"), channel=channel)
    assert get_gateway("inbound_email", channel).auto_reply_allowed(message) is True
