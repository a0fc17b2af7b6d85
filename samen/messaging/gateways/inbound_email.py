"""Inbound e-mail: an ESP's inbound webhook (through django-anymail) and IMAP polling.

Both store the message as raw MIME, keyed on its Message-ID, so one e-mail that arrives both
ways, or twice either way, is one message. Replies go out by ordinary e-mail (the EmailGateway
this class extends), from the channel's `from_email`.

The webhook: anymail's Mailgun inbound view checks Mailgun's HMAC signature with the channel's
`secret` (the Mailgun webhook signing key) and the basic auth in the URL: the channel's own
`basic_auth` ("user:pass") if it sets one, else the global SAMEN_ANYMAIL_WEBHOOK_SECRET. Then, as
Mailgun's "Securing webhooks" asks, a signature more than five minutes from our clock is refused,
and so is a token seen before (kept in SeenWebhookToken, shared by every process). Then anymail's
`inbound` signal brings the message here.

IMAP: `manage.py poll_imap` (see that command) calls `receive_email()` for each unseen message.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.inbound import AnymailInboundMessage
from anymail.signals import inbound as anymail_inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from samen.messaging.gateways import Media, field_text, register
from samen.messaging.gateways.email import EmailGateway
from samen.messaging.inbox import receive
from samen.messaging.models import Channel, InboundMessage, SeenWebhookToken

KIND = "inbound_email"
# The channel the current webhook request belongs to, for the anymail signal receiver (the
# signal carries the message, not the URL it came in on). A context variable is per thread
# and per request, so concurrent webhooks cannot see each other's channel.
current_channel: contextvars.ContextVar[Channel | None] = contextvars.ContextVar(
    "samen_inbound_email_channel", default=None
)
# Headers that mark a message as machine-sent (RFC 3834 and common practice): never answer those,
# or two auto-responders answer each other forever.
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Mailgun's signature of one delivery attempt: not part of the message.
SIGNATURE_FIELDS = {"timestamp", "token", "signature"}
# How far a signature's timestamp may be from our clock (either way: clocks drift).
SIGNATURE_MAX_AGE = timedelta(minutes=5)


@register(KIND)
class InboundEmailGateway(EmailGateway):
    medium = "email"

    def sent_at(self, message: InboundMessage) -> datetime | None:
        value = _header(_parse(message), "Date")
        try:
            return parsedate_to_datetime(str(value)) if value else None
        except (TypeError, ValueError):
            return None

    def media(self, message: InboundMessage) -> list[Media]:
        found = []
        for n, part in enumerate(_files(_parse(message)), 1):
            name = part.get_filename() or f"attachment-{n}"
            found.append(
                Media(name=name, content_type=part.get_content_type(), content=part.get_content_bytes())
            )
        return found

    def auto_reply_allowed(self, message: InboundMessage) -> bool:
        parsed = _parse(message)
        if str(parsed.get("Auto-Submitted", "no")).strip().lower() != "no":
            return False
        if str(parsed.get("Precedence", "")).strip().lower() in BULK_PRECEDENCE:
            return False
        if parsed.get("List-Id") or parsed.get("X-Autoreply") or parsed.get("X-Autorespond"):
            return False
        local = message.sender.split("@")[0].lower()
        return local not in {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply"}


def receive_email(
    raw: bytes | str,
    *,
    channel: Channel | None = None,
    envelope_recipient: str = "",
    stripped_text: str | None = None,
    identity: bytes | None = None,
) -> tuple[InboundMessage, bool]:
    """Store one e-mail (raw MIME) and have it routed in the background; idempotent on its Message-ID.

    Any bytes are stored: headers the email package cannot parse are read as they came. Without
    a usable Message-ID the key is a hash of `identity` (what stays the same when the message is
    delivered again; the raw bytes unless the caller knows better).
    """
    raw_bytes = raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else raw
    parsed = AnymailInboundMessage.parse_raw_mime_bytes(raw_bytes)
    message_id = _header(parsed, "Message-ID").strip().strip("<>").strip()
    if not message_id or len(message_id) > 200:
        # Without a usable Message-ID the content itself is the identity: a redelivery is byte-equal.
        message_id = "sha256:" + hashlib.sha256(raw_bytes if identity is None else identity).hexdigest()
    return receive(
        KIND,
        message_id,
        sender=_sender(parsed),
        recipient=", ".join(_recipients(parsed, envelope_recipient)),
        subject=_header(parsed, "Subject").strip(),
        body=_text(parsed, stripped_text),
        raw=raw_bytes,
        channel=channel,
    )


def is_inbound_post(post) -> bool:
    """Whether a (signed) post has the shape of Mailgun's inbound message, parsed or raw."""
    return bool(post.get("message-headers") or post.get("body-mime")) and bool(
        (post.get("sender") or post.get("from") or "").strip()
    )


def receive_fields(post, *, channel: Channel | None = None) -> tuple[InboundMessage, bool]:
    """Store a Mailgun post that anymail could not turn into a message, as its fields.

    Nothing Mailgun delivered is lost for a header the email package cannot parse: the fields
    (less the signature) are the raw payload, keyed as the message would have been.
    """
    fields = {name: post.getlist(name) for name in post if name not in SIGNATURE_FIELDS}
    message_id = field_text(post.get("Message-Id")).strip().strip("<>").strip()
    if not message_id or len(message_id) > 200:
        identity = json.dumps(sorted(fields.items()), ensure_ascii=True).encode()
        message_id = "sha256:" + hashlib.sha256(identity).hexdigest()
    written_from = field_text(post.get("from"))
    text = field_text(post.get("stripped-text")).strip() or field_text(post.get("body-plain")).strip()
    return receive(
        KIND,
        message_id,
        sender=parseaddr(written_from)[1] or field_text(post.get("sender")).strip() or written_from.strip(),
        recipient=field_text(post.get("recipient")).strip().lower(),
        subject=field_text(post.get("subject")).strip(),
        body=text,
        raw=fields,
        channel=channel,
    )


def _header(parsed: AnymailInboundMessage, name: str) -> str:
    """A header's text; as it came when the email package cannot parse it."""
    try:
        return str(parsed[name] or "")
    except Exception:  # noqa: BLE001 - the email package raises many kinds on malformed headers
        return next((str(value) for key, value in parsed.raw_items() if key.lower() == name.lower()), "")


def _sender(parsed: AnymailInboundMessage) -> str:
    try:
        from_address = parsed.from_email
    except Exception:  # noqa: BLE001 - see _header; fall back to the address as written
        return parseaddr(_header(parsed, "From"))[1] or _header(parsed, "From")
    if isinstance(from_address, list):  # a legal but rare multi-author From: the first one answers
        from_address = from_address[0] if from_address else None
    return from_address.addr_spec if from_address else (parsed.envelope_sender or "")


def _recipients(parsed: AnymailInboundMessage, envelope_recipient: str) -> list[str]:
    written = [envelope_recipient] if envelope_recipient else []
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        # Raw values: the addresses as written, which getaddresses reads without raising.
        written += [str(value) for key, value in parsed.raw_items() if key.lower() == header.lower()]
    seen: dict[str, None] = {}
    for _name, address in getaddresses(written):
        if address and "@" in address:
            seen.setdefault(address.strip().lower(), None)
    return list(seen)


def _text(parsed: AnymailInboundMessage, stripped_text: str | None) -> str:
    # Mailgun's stripped text leaves out quoted replies and signatures: the report itself.
    if stripped_text and stripped_text.strip():
        return stripped_text.strip()
    try:
        if parsed.text:
            return parsed.text.strip()
        return strip_tags(parsed.html or "").strip()
    except Exception:  # noqa: BLE001 - a broken MIME part: the raw message keeps it for a person
        return ""


def _parse(message: InboundMessage) -> AnymailInboundMessage:
    payload = message.payload()
    if isinstance(payload, bytes):
        return AnymailInboundMessage.parse_raw_mime_bytes(payload)
    return AnymailInboundMessage.parse_raw_mime(payload)


def _files(parsed: AnymailInboundMessage) -> list:
    """Attachments, and inline pictures (phones put photos inline): everything that is not the text."""
    files = []
    for part in parsed.walk():
        if part.is_multipart():
            continue
        if part.is_attachment() or (part.is_inline() and part.get_content_maintype() != "text"):
            files.append(part)
    return files


class ChannelMailgunInboundView(MailgunInboundWebhookView):
    # Declared so that as_view() accepts them per channel; anymail reads them in __init__.
    webhook_secret = None

    def run_validators(self, request):
        super().run_validators(request)  # anymail's own: the basic auth, then Mailgun's HMAC signature
        check_fresh_and_unseen(request)


def mailgun_view(channel: Channel):
    options = {"webhook_signing_key": channel.secret}
    basic_auth = (channel.config or {}).get("basic_auth")
    if basic_auth:
        options["webhook_secret"] = basic_auth
    # Otherwise anymail reads ANYMAIL["WEBHOOK_SECRET"] (SAMEN_ANYMAIL_WEBHOOK_SECRET) itself.
    return ChannelMailgunInboundView.as_view(**options)


def _signature_of(request) -> tuple[str, str]:
    """(timestamp, token) where Mailgun puts them: a JSON post's signature block, or the form."""
    if request.content_type == "application/json":
        block = json.loads(request.body.decode("utf-8"))["signature"]  # anymail has parsed it already
        return str(block["timestamp"]), str(block["token"])
    return request.POST["timestamp"], request.POST["token"]


def check_fresh_and_unseen(request) -> None:
    """Refuse a signed post whose signature is old or whose token was used (a replay).

    Call only once anymail has checked the signature, so that nobody but Mailgun can spend a
    token. The token is stored in the caller's transaction: if storing the message fails, the
    token goes with it and Mailgun's retry is taken.
    """
    timestamp, token = _signature_of(request)
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise AnymailWebhookValidationFailure("Mailgun webhook signed with an unreadable timestamp") from None
    now = timezone.now()
    if abs(now - signed_at) > SIGNATURE_MAX_AGE:
        raise AnymailWebhookValidationFailure(
            f"Mailgun webhook signed at {signed_at:%Y-%m-%d %H:%M:%S} UTC, more than five minutes from now"
        )
    SeenWebhookToken.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            SeenWebhookToken.objects.create(
                provider="mailgun", token=token, expires_at=signed_at + SIGNATURE_MAX_AGE
            )
    except IntegrityError:
        raise AnymailWebhookValidationFailure("Mailgun webhook token seen before (a replay)") from None


def _on_anymail_inbound(sender, event, esp_name, **kwargs):
    message = event.message
    receive_email(
        _raw_of(event),
        channel=current_channel.get(),
        envelope_recipient=message.envelope_recipient or "",
        stripped_text=message.stripped_text,
        identity=_identity_of(event),
    )


def _identity_of(event) -> bytes | None:
    """What a redelivered Mailgun post has in common with the first (for a message without ID).

    The MIME that anymail rebuilds from a parsed post gets new part boundaries every time, so
    its hash cannot recognise a redelivery; the posted fields (less the per-attempt signature)
    and the files' contents can.
    """
    request = event.esp_event
    post = getattr(request, "POST", None)
    if post is None or post.get("body-mime"):
        return None  # the raw MIME as it arrived: its own bytes are the identity
    fields = sorted((name, values) for name, values in post.lists() if name not in SIGNATURE_FIELDS)
    files = sorted(
        (name, upload.name or "", hashlib.sha256(upload.read()).hexdigest())
        for name, upload in getattr(request, "FILES", {}).items()
    )
    for upload in getattr(request, "FILES", {}).values():
        upload.seek(0)
    return json.dumps([fields, files], ensure_ascii=True).encode()


def _raw_of(event) -> bytes:
    # Mailgun's raw-MIME posts carry the message exactly as it arrived; keep that. Parsed posts
    # are rebuilt into MIME by anymail, attachments included.
    post = getattr(event.esp_event, "POST", None)
    if post is not None and post.get("body-mime"):
        return post["body-mime"].encode("utf-8", errors="surrogateescape")
    message = event.message
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        if str(part.get("Content-Transfer-Encoding", "")).lower() not in ("", "7bit", "8bit", "binary"):
            continue
        data = part.get_payload(decode=True) or b""
        if data.isascii():
            continue
        # anymail keeps uploaded files as raw bytes; base64 keeps them intact in the text log.
        part.set_payload(base64.encodebytes(data).decode("ascii"))
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "base64"
    return message.as_bytes()


anymail_inbound.connect(_on_anymail_inbound, dispatch_uid="samen.messaging.inbound_email")
