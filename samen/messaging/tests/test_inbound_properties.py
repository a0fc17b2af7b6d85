"""Property tests: every inbound gateway, fed arbitrary text, bytes, lengths and missing fields.

What must hold for any request, on SQLite and PostgreSQL alike:
- the answer is never a 5xx;
- a request that answers success has stored exactly one message, whose columns hold the text
  made safe (NUL → "@" in SMS text, lone surrogates → U+FFFD) and whose raw payload gives back
  exactly what arrived;
- the same request again (a retry) answers success and stores nothing new;
- a request without what a message needs gets the provider's own 400.

Each example runs in a savepoint that is rolled back, so the counts are the example's own.
"""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from urllib.parse import quote_from_bytes

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from samen.messaging.gateways import smssync
from samen.messaging.inbox import idempotency_key, safe_text
from samen.messaging.management.commands import poll_imap
from samen.messaging.models import Channel, InboundMessage
from samen.messaging.tests.payloads import mailgun_signature

pytestmark = pytest.mark.django_db

SECRET = "property-secret"
FEW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every code point, lone surrogates included, with NUL and the GSM "@" made likely.
any_char = st.one_of(
    st.sampled_from(["\x00", "@", " ", "é", "\U0001f600", "\ud800", "\udfff"]),
    st.characters(exclude_categories=()),
)
any_text = st.text(any_char, max_size=40)
# What a UTF-8 form or signature can carry: no surrogates.
utf8 = st.characters(codec="utf-8")
utf8_text = st.text(st.one_of(st.sampled_from(["\x00", "@", " ", "é"]), utf8), max_size=40)
long_ids = st.one_of(st.text(utf8, min_size=1, max_size=12), st.text(utf8, min_size=250, max_size=400))
any_bytes = st.one_of(st.binary(max_size=40), utf8_text.map(str.encode))


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def sms(value: str) -> str:
    return safe_text(value, nul="@")


def form_body(fields: dict[str, bytes | str]) -> bytes:
    """A form body as a client sends it, with any bytes in the values."""
    parts = []
    for name, value in fields.items():
        parts.append(f"{quote_from_bytes(name.encode())}={quote_from_bytes(wire(value))}")
    return "&".join(parts).encode()


def wire(value: bytes | str) -> bytes:
    """The bytes a form carries for a value (a lone surrogate as UTF-8 would write it)."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def as_received(value: bytes | str) -> str:
    """What a gateway view reads from a form's bytes (see views._fields)."""
    return wire(value).decode("utf-8", "surrogateescape")


def the_one_message(**lookup) -> InboundMessage:
    assert InboundMessage.objects.count() == 1
    return InboundMessage.objects.get(**lookup)


def maybe(strategy):
    """A field that may be missing (None)."""
    return st.one_of(st.none(), strategy)


def present(fields: dict) -> dict:
    return {name: value for name, value in fields.items() if value is not None}


# --- SMSSync --------------------------------------------------------------------------------------


@pytest.fixture
def smssync_url():
    channel = Channel.objects.create(kind="smssync", name="Phone", secret=SECRET)
    return reverse("gateways:smssync", args=[channel.pk])


def smssync_fields(draw_bytes: bool):
    value = any_bytes if draw_bytes else any_text
    timestamp = st.one_of(st.integers(0, 10**14).map(str), any_text)
    return st.fixed_dictionaries(
        {
            "from": maybe(value),
            "message": maybe(value),
            "message_id": maybe(st.one_of(long_ids, value)),
            "sent_timestamp": maybe(timestamp),
            "sent_to": maybe(value),
        }
    )


def smssync_expectation(fields: dict[str, str]) -> bool:
    if any(not (fields.get(name) or "").strip() for name in smssync.REQUIRED):
        return False
    try:
        smssync.parse_timestamp(fields["sent_timestamp"])
    except (ValueError, OverflowError, OSError):
        return False
    return True


def check_smssync(response, fields: dict[str, str], resend) -> None:
    assert response.status_code < 500
    if not smssync_expectation(fields):
        assert response.status_code == 400
        assert response.json()["payload"]["success"] is False
        assert InboundMessage.objects.count() == 0
        return
    assert response.status_code == 200
    assert response.json()["payload"] == {"success": True, "error": None}
    key = idempotency_key("smssync", fields["message_id"].strip())
    message = the_one_message(idempotency_key=key)
    assert message.body == sms(fields["message"])
    assert message.sender == safe_text(fields["from"].strip())[:255]
    assert json.loads(message.raw)["message"] == fields["message"]
    assert resend().status_code == 200
    assert InboundMessage.objects.count() == 1


@FEW
@given(fields=smssync_fields(draw_bytes=True))
def test_smssync_form_posts_with_any_bytes_are_stored_or_refused(smssync_url, fields):
    client = Client()
    sent = present(fields)
    body = form_body({**sent, "secret": SECRET})

    def post():
        return client.post(smssync_url, data=body, content_type="application/x-www-form-urlencoded")

    with rolled_back():
        received = {name: as_received(value) for name, value in sent.items()}
        check_smssync(post(), received, post)
        if InboundMessage.objects.exists():
            raw = json.loads(InboundMessage.objects.get().raw)
            # The bytes that arrived, exactly, from the stored payload.
            assert {name: raw[name].encode("utf-8", "surrogateescape") for name in sent} == {
                name: wire(value) for name, value in sent.items()
            }


@FEW
@given(fields=smssync_fields(draw_bytes=False))
def test_smssync_json_posts_with_any_text_are_stored_or_refused(smssync_url, fields):
    client = Client()
    sent = present(fields)
    body = json.dumps({**sent, "secret": SECRET})  # ensure_ascii: lone surrogates travel as \ud800

    def post():
        return client.post(smssync_url, data=body, content_type="application/json")

    with rolled_back():
        check_smssync(post(), sent, post)


def test_smssync_json_with_other_types_where_text_belongs_gets_400(smssync_url):
    for value in (None, [], {}, True):
        fields = {"from": "+1", "message": value, "message_id": "1", "sent_timestamp": "1", "secret": SECRET}
        response = Client().post(smssync_url, data=json.dumps(fields), content_type="application/json")
        assert response.status_code == 400
        assert response.json()["payload"]["error"] == "Missing message"


def test_smssync_json_that_is_not_utf8_or_too_deep_gets_400_not_500(smssync_url):
    for body in (b"\xff\xfe{", b"[" * 100_000, b'{"message": "\\ud800'):
        response = Client().post(smssync_url, data=body, content_type="application/json")
        assert response.status_code in (400, 403)


# --- FrontlineSMS ---------------------------------------------------------------------------------


@pytest.fixture
def frontline_url():
    channel = Channel.objects.create(kind="frontlinesms", name="Hub", secret=SECRET)
    return reverse("gateways:frontlinesms", args=[channel.pk])


@FEW
@given(
    sender=maybe(any_text),
    text=maybe(any_text),
    message_id=maybe(long_ids),
    how=st.sampled_from(["form", "json", "query"]),
)
def test_frontlinesms_with_any_text_stores_one_message_or_refuses(
    frontline_url, sender, text, message_id, how
):
    client = Client()
    sent = present({"from": sender, "message": text, "message_id": message_id})
    fields = {**sent, "secret": SECRET}

    def post():
        if how == "json":
            return client.post(frontline_url, data=json.dumps(fields), content_type="application/json")
        body = form_body(fields).decode()
        if how == "query":
            return client.get(f"{frontline_url}?{body}")
        return client.post(frontline_url, data=body, content_type="application/x-www-form-urlencoded")

    def received(value: str) -> str:
        # A form carries a lone surrogate as the bytes UTF-8 would give it (ED A0 80); those are
        # no UTF-8 and come through as three replacement characters.
        return value if how == "json" else as_received(value)

    with rolled_back():
        response = post()
        assert response.status_code < 500
        if not (sender or "").strip() or not sms(text or "").strip():
            assert response.status_code == 400
            assert InboundMessage.objects.count() == 0
            return
        assert response.status_code == 200
        assert response.json()["payload"]["success"] is True
        message = the_one_message()
        assert message.body == sms(received(text))
        assert json.loads(message.raw)["message"] == received(text)
        if message_id and message_id.strip():
            assert message.idempotency_key == idempotency_key("frontlinesms", message_id.strip())
        assert post().status_code == 200
        assert InboundMessage.objects.count() == 1


# --- Twilio ---------------------------------------------------------------------------------------

TOKEN = "twilio-token-for-properties"
ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def twilio_url(settings):
    settings.SITE_URL = "https://samen.example"
    channel = Channel.objects.create(
        kind="twilio", name="Twilio", secret=TOKEN, config={"account_sid": ACCOUNT}
    )
    return reverse("gateways:twilio", args=[channel.pk])


@FEW
@given(
    sid=maybe(long_ids),
    sender=maybe(utf8_text),
    body=maybe(utf8_text),
    to=maybe(utf8_text),
)
def test_twilio_signed_posts_with_any_text_store_one_message_or_refuse(twilio_url, sid, sender, body, to):
    client = Client()
    fields = present({"MessageSid": sid, "AccountSid": ACCOUNT, "From": sender, "To": to, "Body": body})
    signature = RequestValidator(TOKEN).compute_signature(f"https://samen.example{twilio_url}", fields)

    def post():
        return client.post(
            twilio_url,
            data=form_body(fields),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )

    with rolled_back():
        response = post()
        assert response.status_code < 500
        if not (sid or "").strip() or not (sender or "").strip():
            assert response.status_code == 400
            assert InboundMessage.objects.count() == 0
            return
        assert response.status_code == 200
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response')
        message = the_one_message(idempotency_key=idempotency_key("twilio", sid.strip()))
        assert message.body == sms(body or "")
        assert json.loads(message.raw) == fields
        assert post().status_code == 200
        assert InboundMessage.objects.count() == 1


def test_twilio_bytes_that_cannot_be_signed_get_403_not_500(twilio_url):
    response = Client().post(
        twilio_url,
        data=b"MessageSid=SM1&From=%2B1&Body=%ED%A0%80%FF",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="c2lnbmF0dXJl",
    )
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


# --- Africa's Talking -----------------------------------------------------------------------------


@pytest.fixture
def at_url():
    channel = Channel.objects.create(kind="africastalking", name="AT", secret=SECRET)
    return reverse("gateways:africastalking", args=[channel.pk]) + f"?secret={SECRET}"


@FEW
@given(
    fields=st.fixed_dictionaries(
        {
            "from": maybe(any_bytes),
            "to": maybe(any_bytes),
            "text": maybe(any_bytes),
            "date": maybe(any_bytes),
            "id": maybe(st.one_of(long_ids.map(str.encode), any_bytes)),
            "linkId": maybe(any_bytes),
        }
    )
)
def test_africastalking_posts_with_any_bytes_store_one_message_or_refuse(at_url, fields):
    client = Client()
    sent = present(fields)
    body = form_body(sent)

    def post():
        return client.post(at_url, data=body, content_type="application/x-www-form-urlencoded")

    with rolled_back():
        response = post()
        assert response.status_code < 500
        received = {name: as_received(value) for name, value in sent.items()}
        if not received.get("from", "").strip() or not received.get("id", "").strip():
            assert response.status_code == 400
            assert InboundMessage.objects.count() == 0
            return
        assert response.status_code == 200
        message = the_one_message(idempotency_key=idempotency_key("africastalking", received["id"].strip()))
        assert message.body == sms(received.get("text", ""))
        raw = json.loads(message.raw)
        assert {name: raw[name].encode("utf-8", "surrogateescape") for name in sent} == {
            name: wire(value) for name, value in sent.items()
        }
        # Reading the stored message back never fails either.
        from samen.messaging.gateways import get_gateway

        get_gateway("africastalking").sent_at(message)
        assert post().status_code == 200
        assert InboundMessage.objects.count() == 1


# --- E-mail: Mailgun through anymail, and IMAP ---------------------------------------------------

MAILGUN_KEY = "key-mailgun-for-properties"


@pytest.fixture
def mailgun_url():
    channel = Channel.objects.create(kind="inbound_email", name="Mailgun", secret=MAILGUN_KEY)
    return reverse("gateways:inbound_email", args=[channel.pk])


@FEW
@example(sender="<", subject=None, text=None, message_id=None)  # anymail cannot rebuild this
@example(sender="a@example.org", subject="ñ", text="hi", message_id="ñ@example.org")
@given(
    sender=maybe(utf8_text),
    subject=maybe(utf8_text),
    text=maybe(utf8_text),
    message_id=maybe(st.one_of(long_ids, utf8_text)),
)
def test_mailgun_posts_with_any_text_store_one_message_or_refuse(
    mailgun_url, sender, subject, text, message_id
):
    client = Client()
    headers = present(
        {"From": sender, "Subject": subject, "Message-Id": message_id, "To": "reports@samen.example"}
    )
    fields = present(
        {
            "recipient": "reports@samen.example",
            "sender": sender,
            "from": sender,
            "subject": subject,
            "Message-Id": message_id,
            "body-plain": text,
            "message-headers": json.dumps([[name, value] for name, value in headers.items()]),
        }
    )

    def post():
        # Multipart, as Mailgun forwards; each delivery attempt signed afresh, as Mailgun signs them.
        return client.post(mailgun_url, data={**fields, **mailgun_signature(MAILGUN_KEY)})

    with rolled_back():
        response = post()
        assert response.status_code < 500
        if not (sender or "").strip():
            # No sender at all: not an inbound message Mailgun would send.
            assert response.status_code in (200, 400)
            if response.status_code == 400:
                assert InboundMessage.objects.count() == 0
                return
        assert response.status_code == 200
        message = the_one_message()
        assert "\x00" not in message.body + message.sender + message.subject
        if text and text.strip() and "\x00" not in text and "\r" not in text:
            assert message.body == text.strip()
        assert post().status_code == 200
        assert InboundMessage.objects.count() == 1


class FakeImap:
    """What poll_imap's loop asks of an IMAP connection, answering with the given messages."""

    def __init__(self, messages: list[bytes]):
        self.messages = messages
        self.seen: list[str] = []

    def uid(self, command, *args):
        if command == "SEARCH":
            return "OK", [" ".join(str(n) for n in range(1, len(self.messages) + 1)).encode()]
        if command == "FETCH":
            n = int(args[0])
            return "OK", [
                (f"{n} (UID {n} BODY[] {{{len(self.messages[n - 1])}}}".encode(), self.messages[n - 1]),
                b")",
            ]
        if command == "STORE":
            self.seen.append(args[0])
            return "OK", [b""]
        raise AssertionError(command)


def emails():
    header = st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b)
    return st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda message_id, subject, sender, body: (
                b"Message-ID: <"
                + message_id
                + b">\r\nFrom: "
                + sender
                + b"\r\nSubject: "
                + subject
                + b"\r\n\r\n"
                + body
            ),
            st.one_of(header, st.binary(min_size=250, max_size=400).filter(lambda b: b"\n" not in b)),
            header,
            header,
            st.binary(max_size=200),
        ),
    )


@FEW
@given(messages=st.lists(emails(), min_size=1, max_size=3))
def test_imap_messages_of_any_bytes_are_stored_exactly_once_and_then_marked_seen(messages):
    with rolled_back():
        imap = FakeImap(messages)
        stored, repeated = poll_imap.store_unseen(imap, None, limit=10)
        assert stored + repeated == len(messages)
        assert imap.seen == [str(n) for n in range(1, len(messages) + 1)]
        assert InboundMessage.objects.count() == stored
        for message in InboundMessage.objects.all():
            # Kept byte for byte (identical Message-IDs are one message, by design).
            payload = message.payload()
            assert (payload if isinstance(payload, bytes) else payload.encode()) in messages
            assert "\x00" not in message.body + message.sender + message.subject + message.recipient
        # Fetched again (a crash before \Seen): nothing new.
        again, _ = poll_imap.store_unseen(FakeImap(messages), None, limit=10)
        assert again == 0
        assert InboundMessage.objects.count() == stored


def test_a_raw_email_that_is_not_utf8_comes_back_byte_for_byte():
    raw = b"Message-ID: <latin@example.org>\r\nFrom: a@example.org\r\nSubject: caf\xe9\r\n\r\nna\xefve \x00 text\r\n"
    poll_imap.store_unseen(FakeImap([raw]), None, limit=10)
    message = InboundMessage.objects.get()
    assert message.payload() == raw
    assert base64.b64decode(message.raw) == raw
