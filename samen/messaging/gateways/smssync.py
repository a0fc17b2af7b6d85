"""SMSSync: Ushahidi's Android app, which turns a phone with a SIM card into an SMS gateway.

Inbound: the phone POSTs each SMS (form-encoded or JSON) with `secret`, `from`, `message`,
`message_id`, `sent_timestamp` (milliseconds, although SMSSync's docs say "UNIX timestamp"),
`sent_to` and `device_id`. Phones retry until they see `{"payload":{"success":true}}`, so the same
`message_id` arrives many times; `inbox.receive` keeps one.

Outbound: nothing is pushed. The phone polls (`GET ?task=send`), gets the queued messages, sends
them, and reports back (`POST ?task=sent` with `{"queued_messages": [uuids]}`). Queued messages
also ride on the reply to every inbound POST. The auto-reply to a text is made by the routing
task after the phone has had its answer, so it reaches the phone with the next poll (or the next
text, whichever comes first), once: handing out claims each message.

A message handed out but never confirmed (the phone lost it, or its "sent" report) goes back to the
queue after CONFIRM_TIMEOUT and is handed out again, with the same uuid, up to the messaging
MAX_ATTEMPTS; then it fails, for a person to look at. `requeue_unconfirmed` does that, on every
poll of the phone and from `manage.py messaging_requeue`.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from samen.messaging.gateways import Gateway, field_text, register
from samen.messaging.inbox import safe_text
from samen.messaging.models import Channel, DeliveryAttempt, InboundMessage, OutboundMessage

KIND = "smssync"
REQUIRED = ("from", "message", "message_id", "sent_timestamp")
# As many as one poll hands over; SMSSync sends them one by one, so a long list only delays the reply.
BATCH = 20
# A fixed namespace: a message's uuid is derived from its idempotency key, so it is the same on
# every poll and the phone's "sent" report still matches after an admin requeues the message.
UUID_NAMESPACE = uuid.UUID("0d6c7a52-4f0e-4f7a-9d55-2b6a1f4c9e11")
# How long a phone has to report a handed-out message as sent before it is handed out again.
CONFIRM_TIMEOUT = timedelta(minutes=getattr(settings, "SAMEN_SMSSYNC_CONFIRM_MINUTES", 15))
# As messaging.tasks.MAX_ATTEMPTS (not imported: the tasks module imports the gateways).
MAX_HAND_OUTS = getattr(settings, "SAMEN_MESSAGING_MAX_ATTEMPTS", 5)


class PayloadError(ValueError):
    """The request is not a usable SMSSync message (the reason is safe to show the phone)."""


@register(KIND)
class SmsSyncGateway(Gateway):
    medium = "sms"
    polled = True

    def sent_at(self, message: InboundMessage) -> datetime | None:
        try:
            return parse_timestamp(json.loads(message.raw).get("sent_timestamp"))
        except (ValueError, TypeError, AttributeError):
            return None


def parse_timestamp(value) -> datetime:
    """SMSSync's `sent_timestamp`: milliseconds since the epoch, in UTC.

    Some forks send seconds. 10^11 seconds is in the year 5138 and 10^11 milliseconds is in 1973,
    so anything smaller is read as seconds.
    """
    number = int(str(value).strip())
    if number < 0:
        raise ValueError("negative timestamp")
    seconds = number / 1000 if number >= 10**11 else number
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_incoming(fields: dict) -> dict:
    """Check an incoming message's fields; returns what `inbox.receive` needs."""
    text = {name: field_text(fields.get(name)) for name in (*REQUIRED, "sent_to")}
    missing = [name for name in REQUIRED if not text[name].strip()]
    if missing:
        raise PayloadError(f"Missing {', '.join(missing)}")
    try:
        parse_timestamp(text["sent_timestamp"])
    except (ValueError, OverflowError, OSError) as exc:
        raise PayloadError("sent_timestamp must be a number of milliseconds") from exc
    # The secret proves who sent it; it is not part of the message and must not sit in the log.
    raw = {name: value for name, value in fields.items() if name != "secret"}
    return {
        "external_id": text["message_id"].strip(),
        "sender": text["from"].strip(),
        "recipient": text["sent_to"].strip(),
        # A phone may hand on GSM's "@" (0x00 in the GSM alphabet) as NUL.
        "body": safe_text(text["message"], nul="@"),
        "raw": raw,
    }


def outbound_uuid(outbound: OutboundMessage) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, outbound.idempotency_key))


def hand_out(channel: Channel, limit: int = BATCH) -> list[dict]:
    """Claim the channel's queued messages for the phone and describe them as SMSSync wants.

    Each row is claimed with a conditional UPDATE (queued → sending), so two polls at once never
    hand the same message to the phone twice. A message stays "sending" until the phone says
    it was sent, or until CONFIRM_TIMEOUT has passed (see requeue_unconfirmed).
    """
    # This look runs on every inbound text, and almost always finds nothing: one SELECT along the
    # (channel, gateway, state, created_at) index, written out so that no queryset is compiled.
    table = OutboundMessage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT id, "to", body, idempotency_key FROM {table} '  # noqa: S608 - a fixed table name
            "WHERE channel_id = %s AND gateway = %s AND state = %s ORDER BY created_at, id LIMIT %s",
            [channel.pk, KIND, OutboundMessage.State.QUEUED, limit],
        )
        rows = cursor.fetchall()
    if not rows:
        return []
    candidates = [OutboundMessage(pk=pk, to=to, body=body, idempotency_key=key) for pk, to, body, key in rows]
    messages = []
    now = timezone.now()
    for outbound in candidates:
        message_uuid = outbound_uuid(outbound)
        claimed = OutboundMessage.objects.filter(pk=outbound.pk, state=OutboundMessage.State.QUEUED).update(
            state=OutboundMessage.State.SENDING,
            provider_id=message_uuid,
            attempts=F("attempts") + 1,
            handed_out_at=now,
        )
        if claimed == 1:
            messages.append({"to": outbound.to, "message": outbound.body, "uuid": message_uuid})
    return messages


def mark_sent(channel: Channel, uuids: list[str]) -> list[str]:
    """Record the phone's report that it sent these messages; returns the uuids it may forget.

    Idempotent: a repeated report confirms the same uuids again and records nothing new.
    """
    wanted = [str(value) for value in uuids if isinstance(value, str | int)][:1000]
    known = list(
        OutboundMessage.objects.filter(channel=channel, gateway=KIND, provider_id__in=wanted).values_list(
            "pk", "provider_id", "state"
        )
    )
    now = timezone.now()
    for pk, _provider_id, state in known:
        if state == OutboundMessage.State.SENT:
            continue
        with transaction.atomic():
            changed = (
                OutboundMessage.objects.filter(pk=pk)
                .exclude(state=OutboundMessage.State.SENT)
                .update(state=OutboundMessage.State.SENT, sent_at=now, last_error="")
            )
            if changed:
                DeliveryAttempt.objects.create(message_id=pk, ok=True)
    return [provider_id for _pk, provider_id, _state in known]


def requeue_unconfirmed(
    channel: Channel | None = None, *, older_than: timedelta | None = None
) -> tuple[int, int]:
    """Messages handed to a phone that never confirmed them: back to the queue, or failed.

    Those handed out longer than `older_than` (CONFIRM_TIMEOUT) ago and still "sending" are queued
    again, so the phone gets them (under the same uuid) with its next poll; those already handed
    out MAX_HAND_OUTS times fail with a note instead, for a person to look at. Every change is a
    conditional UPDATE on the state and the hand-out time, so a "sent" report arriving meanwhile
    wins and two runs at once change each row once. Returns (requeued, failed).
    """
    before = timezone.now() - (CONFIRM_TIMEOUT if older_than is None else older_than)
    stale = OutboundMessage.objects.filter(
        gateway=KIND, state=OutboundMessage.State.SENDING, handed_out_at__lt=before
    )
    if channel is not None:
        stale = stale.filter(channel=channel)
    failed = stale.filter(attempts__gte=MAX_HAND_OUTS).update(
        state=OutboundMessage.State.FAILED,
        last_error="The phone never reported this message as sent.",
    )
    requeued = stale.filter(attempts__lt=MAX_HAND_OUTS).update(
        state=OutboundMessage.State.QUEUED, handed_out_at=None
    )
    return requeued, failed
