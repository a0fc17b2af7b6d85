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
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from samen.messaging.gateways import Gateway, register
from samen.messaging.models import Channel, DeliveryAttempt, InboundMessage, OutboundMessage

KIND = "smssync"
REQUIRED = ("from", "message", "message_id", "sent_timestamp")
# As many as one poll hands over; SMSSync sends them one by one, so a long list only delays the reply.
BATCH = 20
# A fixed namespace: a message's uuid is derived from its idempotency key, so it is the same on
# every poll and the phone's "sent" report still matches after an admin requeues the message.
UUID_NAMESPACE = uuid.UUID("0d6c7a52-4f0e-4f7a-9d55-2b6a1f4c9e11")


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
    missing = [name for name in REQUIRED if not str(fields.get(name) or "").strip()]
    if missing:
        raise PayloadError(f"Missing {', '.join(missing)}")
    try:
        parse_timestamp(fields["sent_timestamp"])
    except (ValueError, OverflowError, OSError) as exc:
        raise PayloadError("sent_timestamp must be a number of milliseconds") from exc
    # The secret proves who sent it; it is not part of the message and must not sit in the log.
    raw = {name: value for name, value in fields.items() if name != "secret"}
    return {
        "external_id": str(fields["message_id"]).strip(),
        "sender": str(fields["from"]).strip(),
        "recipient": str(fields.get("sent_to") or "").strip(),
        "body": str(fields["message"]),
        "raw": raw,
    }


def outbound_uuid(outbound: OutboundMessage) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, outbound.idempotency_key))


def hand_out(channel: Channel, limit: int = BATCH) -> list[dict]:
    """Claim the channel's queued messages for the phone and describe them as SMSSync wants.

    Each row is claimed with a conditional UPDATE (queued → sending), so two polls at once never
    hand the same message to the phone twice. A message stays "sending" until the phone says
    it was sent; one the phone lost is requeued by a person, as for any gateway.
    """
    candidates = list(
        OutboundMessage.objects.filter(channel=channel, gateway=KIND, state=OutboundMessage.State.QUEUED)
        .order_by("created_at", "pk")
        .only("pk", "to", "body", "idempotency_key")[:limit]
    )
    messages = []
    for outbound in candidates:
        message_uuid = outbound_uuid(outbound)
        claimed = OutboundMessage.objects.filter(pk=outbound.pk, state=OutboundMessage.State.QUEUED).update(
            state=OutboundMessage.State.SENDING, provider_id=message_uuid, attempts=F("attempts") + 1
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
