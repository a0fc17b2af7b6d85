"""FrontlineSMS (FrontlineCloud): a desktop or cloud SMS hub that forwards incoming texts to a URL.

Inbound: `from`, `message` and `secret`, as a form, JSON or the query string. FrontlineSMS sends
no message id unless the activity is set to add one (`message_id` or `id`); without one, the id
is a hash of sender, text and the minute it arrived, so a quick retry is still one message. A
later resend of the same text becomes a second message and is then caught by the report's
duplicate window, which is where "same sender, same text" is decided anyway.

Outbound: `POST {server}/api/1/webhook` with `{"apiKey": ..., "payload": {"message": ...,
"recipients": [{"type": "mobile", "value": "+..."}]}}`, through samen.core.http.

Channel: `secret` is the secret FrontlineSMS sends; `config` holds `server` and `api_key`.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone

from samen.core.http import HttpError, request
from samen.messaging.gateways import Gateway, TransportError, register

KIND = "frontlinesms"


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


def parse_incoming(fields: dict) -> dict:
    sender = str(fields.get("from") or "").strip()
    text = str(fields.get("message") or "")
    missing = [name for name, value in (("from", sender), ("message", text.strip())) if not value]
    if missing:
        raise PayloadError(f"Missing {', '.join(missing)}")
    given = str(fields.get("message_id") or fields.get("id") or "").strip()
    if given:
        external_id = given
    else:
        minute = timezone.now().strftime("%Y%m%d%H%M")
        digest = hashlib.sha256(f"{sender}\n{text}\n{minute}".encode()).hexdigest()[:32]
        external_id = f"h:{digest}"
    return {
        "external_id": external_id,
        "sender": sender,
        "recipient": str(fields.get("to") or "").strip(),
        "body": text,
        "raw": {name: value for name, value in fields.items() if name != "secret"},
    }
