"""FrontlineSMS (FrontlineCloud): a desktop or cloud SMS hub that forwards incoming texts to a URL.

Inbound: `from`, `message` and `secret`, as a form, JSON or the query string. FrontlineSMS sends
no message id unless the activity is set to add one (`message_id` or `id`). Without one, the same
sender and text on the same channel within the channel's dedup window (`dedup_minutes`, default
10) is one message: a retry, whenever in the window it comes. FrontlineSMS does not say which
number the text was sent to either, unless the activity adds `to`; the channel's `number` stands
in for it, so that maps taking texts by number (`ReportMap.sms_number`) get them.

Outbound: `POST {server}/api/1/webhook` with `{"apiKey": ..., "payload": {"message": ...,
"recipients": [{"type": "mobile", "value": "+..."}]}}`, through samen.core.http.

Channel: `secret` is the secret FrontlineSMS sends; `config` holds `server` and `api_key` (for
replies), and optionally `number` (the hub's own number) and `dedup_minutes`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from samen.core.http import HttpError, request
from samen.messaging.gateways import Gateway, TransportError, field_text, register
from samen.messaging.inbox import idempotency_key, receive, safe_text
from samen.messaging.models import Channel, InboundMessage

KIND = "frontlinesms"
# Minutes within which the same sender and text, without FrontlineSMS's own id, is one message.
DEDUP_MINUTES = 10


class PayloadError(ValueError):
    pass


@register(KIND)
class FrontlineSmsGateway(Gateway):
    medium = "sms"

    def send(self, outbound) -> str:
        server = (self.config.get("server") or "").rstrip("/")
        api_key = self.config.get("api_key") or ""
        if not server or not api_key:
            raise TransportError("the FrontlineSMS channel needs a server and an API key", permanent=True)
        payload = {
            "apiKey": api_key,
            "payload": {"message": outbound.body, "recipients": [{"type": "mobile", "value": outbound.to}]},
        }
        try:
            request("POST", f"{server}/api/1/webhook", json=payload)
        except HttpError as exc:
            raise TransportError(str(exc), permanent=exc.permanent) from exc
        # FrontlineCloud answers with no id of its own; the idempotency key identifies the message.
        return ""


def parse_incoming(fields: dict, channel: Channel | None = None) -> dict:
    """Check an incoming message's fields; returns what `inbox.receive` needs (an empty id if none)."""
    text = {name: field_text(fields.get(name)) for name in ("from", "message", "message_id", "id", "to")}
    sender = text["from"].strip()
    # GSM's "@" is 0x00 in its alphabet; a modem that forgets to map it hands on NUL.
    body = safe_text(text["message"], nul="@")
    missing = [name for name, value in (("from", sender), ("message", body.strip())) if not value]
    if missing:
        raise PayloadError(f"Missing {', '.join(missing)}")
    config = (channel.config or {}) if channel is not None else {}
    return {
        "external_id": (text["message_id"] or text["id"]).strip(),
        "sender": sender,
        "recipient": text["to"].strip() or field_text(config.get("number")).strip(),
        "body": body,
        "raw": {name: value for name, value in fields.items() if name != "secret"},
    }


def receive_incoming(channel: Channel, fields: dict) -> tuple[InboundMessage, bool]:
    """Store one incoming message (see `inbox.receive`); raises PayloadError for an unusable one.

    Without FrontlineSMS's own id the key is a hash of the channel, sender, text and the window
    of time it arrived in. A retry in the same window meets the unique key; one in the next
    window finds the earlier message by the previous window's key (one indexed look-up), and is
    that message if it came less than one window ago.
    """
    incoming = parse_incoming(fields, channel)
    if incoming["external_id"]:
        return receive(KIND, channel=channel, **incoming)
    window = timedelta(minutes=_dedup_minutes(channel))
    now = timezone.now()
    slot = int(now.timestamp() // window.total_seconds())
    earlier = (
        InboundMessage.objects.filter(
            idempotency_key=idempotency_key(KIND, _retry_id(channel, incoming, slot - 1)),
            received_at__gt=now - window,
        )
        .only("pk", "idempotency_key", "received_at", "state")
        .first()
    )
    if earlier is not None:
        return earlier, False
    incoming["external_id"] = _retry_id(channel, incoming, slot)
    return receive(KIND, channel=channel, **incoming)


def _dedup_minutes(channel: Channel) -> float:
    try:
        minutes = float((channel.config or {}).get("dedup_minutes", DEDUP_MINUTES))
    except (TypeError, ValueError):
        return DEDUP_MINUTES
    return minutes if 0 < minutes <= 24 * 60 else DEDUP_MINUTES


def _retry_id(channel: Channel, incoming: dict, slot: int) -> str:
    identity = f"{channel.pk}\n{incoming['sender']}\n{incoming['body']}\n{slot}"
    return "h:" + hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:40]
