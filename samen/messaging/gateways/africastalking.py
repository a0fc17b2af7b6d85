"""Africa's Talking: SMS across East and West Africa, with shortcodes and premium SMS.

Inbound: a form POST with `from`, `to`, `text`, `date`, `id` and `linkId` to the callback URL.
Africa's Talking signs nothing, so the callback URL carries the channel's secret
(`...?secret=...`) and requests without it are refused.

Outbound: `POST {api_base}/version1/messaging` (form: username, to, message, from, and linkId
when answering a premium-SMS message), with the `apiKey` header, through samen.core.http.

Channel: `secret` is the callback secret; `config` holds `username`, `api_key`, optionally `from`
(a shortcode or sender id) and `api_base` (https://api.sandbox.africastalking.com for the sandbox).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from samen.core.http import HttpError, request
from samen.messaging.gateways import Gateway, TransportError, field_text, register
from samen.messaging.inbox import safe_text
from samen.messaging.models import InboundMessage

KIND = "africastalking"
API_BASE = "https://api.africastalking.com"
# Per-recipient status codes: 100 Processed, 101 Sent, 102 Queued.
SENT_CODES = {100, 101, 102}
# 5xx codes (InternalServerError, GatewayError, RejectedByGateway) may pass later; the 4xx ones
# (invalid number, blacklisted, insufficient balance, ...) will not.
TRANSIENT_CODES = {500, 501, 502}
REQUIRED = ("from", "id")


class PayloadError(ValueError):
    pass


@register(KIND)
class AfricasTalkingGateway(Gateway):
    medium = "sms"

    def send(self, outbound) -> str:
        username, api_key = self.config.get("username", ""), self.config.get("api_key", "")
        if not username or not api_key:
            raise TransportError(
                "the Africa's Talking channel needs a username and an API key", permanent=True
            )
        data = {"username": username, "to": outbound.to, "message": outbound.body}
        if self.config.get("from"):
            data["from"] = self.config["from"]
        link_id = _link_id(outbound.in_reply_to)
        if link_id:
            # Premium SMS: a reply without the linkId of the message it answers is refused.
            data["linkId"] = link_id
        base = self.config.get("api_base", API_BASE).rstrip("/")
        try:
            response = request(
                "POST",
                f"{base}/version1/messaging",
                data=data,
                headers={"apiKey": api_key, "Accept": "application/json"},
            )
        except HttpError as exc:
            raise TransportError(str(exc), permanent=exc.permanent) from exc
        try:
            recipient = response.json()["SMSMessageData"]["Recipients"][0]
            code = int(recipient["statusCode"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TransportError(
                f"Africa's Talking answered something unexpected: {response.text[:200]}"
            ) from exc
        if code not in SENT_CODES:
            raise TransportError(
                f"Africa's Talking refused the message: {code} {recipient.get('status', '')}",
                permanent=code not in TRANSIENT_CODES,
            )
        return str(recipient.get("messageId", ""))

    def sent_at(self, message: InboundMessage) -> datetime | None:
        try:
            value = json.loads(message.raw).get("date", "")
            parsed = parse_datetime(str(value).strip().replace(" ", "T", 1)) if value else None
        except (ValueError, AttributeError):
            return None
        if parsed is not None and timezone.is_naive(parsed):
            # Africa's Talking sends its dates in UTC without saying so.
            parsed = timezone.make_aware(parsed, UTC)
        return parsed


def parse_incoming(fields: dict) -> dict:
    text = {name: field_text(fields.get(name)) for name in ("from", "to", "text", "id")}
    missing = [name for name in REQUIRED if not text[name].strip()]
    if missing:
        raise PayloadError(f"Missing {', '.join(missing)}")
    return {
        "external_id": text["id"].strip(),
        "sender": text["from"].strip(),
        "recipient": text["to"].strip(),
        # GSM's "@" is 0x00 in its alphabet; a gateway that forgets to map it sends NUL.
        "body": safe_text(text["text"], nul="@"),
        "raw": {name: value for name, value in fields.items() if name != "secret"},
    }


def _link_id(inbound: InboundMessage | None) -> str:
    if inbound is None or inbound.gateway != KIND:
        return ""
    try:
        return str(json.loads(inbound.raw).get("linkId") or "")
    except (ValueError, AttributeError):
        return ""
