"""Twilio Programmable Messaging: SMS and MMS.

Inbound: a form-encoded POST with MessageSid, AccountSid, From, To, Body, NumMedia, MediaUrl{N}
and MediaContentType{N}, signed in the X-Twilio-Signature header. The signature covers the full
URL Twilio called, so it is checked against the public URL (SAMEN_SITE_URL + path, or the
channel's `webhook_url`), never the URL as a proxy rewrote it. Checked with the twilio library.

Outbound: a POST to the Messages resource of the REST API, through samen.core.http, from the
deliver task. That includes replies to an inbound message: the webhook answers with an empty
TwiML `<Response />` at once, before routing, so the reply cannot ride on it (see views.py).

Channel: `secret` is the account's Auth Token; `config` holds `account_sid`, `from` (or
`messaging_service_sid`), and optionally `api_base` and `webhook_url`.
"""

from __future__ import annotations

import json
import mimetypes

from django.conf import settings
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm

from samen.core.http import HttpError, request
from samen.messaging.gateways import Gateway, Media, TransportError, register
from samen.messaging.models import Channel, InboundMessage

KIND = "twilio"
API_BASE = "https://api.twilio.com"
# Twilio error codes about one recipient that no retry can fix: invalid or unreachable number,
# recipient opted out (21610), region not allowed. They fail the message, not the channel.
RECIPIENT_CODES = {21211, 21214, 21408, 21610, 21612, 21614}


@register(KIND)
class TwilioGateway(Gateway):
    medium = "sms"
    # Twilio answers STOP/START itself and blocks the number, so Samen sends no confirmation of its own.
    answers_opt_out_words = True

    @property
    def account_sid(self) -> str:
        return self.config.get("account_sid", "")

    @property
    def auth_token(self) -> str:
        return self.channel.secret if self.channel else ""

    def send(self, outbound) -> str:
        if not self.account_sid or not self.auth_token:
            raise TransportError("the Twilio channel needs an account SID and an auth token", permanent=True)
        base = self.config.get("api_base", API_BASE).rstrip("/")
        data = {"To": outbound.to, "Body": outbound.body}
        if self.config.get("messaging_service_sid"):
            data["MessagingServiceSid"] = self.config["messaging_service_sid"]
        else:
            data["From"] = self.config.get("from", "")
        try:
            response = request(
                "POST",
                f"{base}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
                data=data,
                auth=(self.account_sid, self.auth_token),
                raise_for_status=False,
            )
        except HttpError as exc:
            raise TransportError(str(exc), permanent=exc.permanent) from exc
        body = _json(response.content)
        if response.status >= 400:
            code = body.get("code")
            permanent = response.status in (400, 401, 403, 404) or code in RECIPIENT_CODES
            raise TransportError(
                f"Twilio answered {response.status}: {code} {body.get('message', '')}".strip(),
                permanent=permanent and response.status != 429,
                recipient_only=code in RECIPIENT_CODES,
            )
        return str(body.get("sid", ""))

    def media(self, message: InboundMessage) -> list[Media]:
        fields = _json(message.raw.encode())
        try:
            count = int(fields.get("NumMedia") or 0)
        except ValueError:
            return []
        found = []
        for n in range(min(count, 10)):  # Twilio allows at most 10 media per message
            url = fields.get(f"MediaUrl{n}", "")
            if not url:
                continue
            content_type = fields.get(f"MediaContentType{n}", "") or "application/octet-stream"
            extension = mimetypes.guess_extension(content_type) or ""
            name = f"{fields.get('MessageSid', 'mms')}-{n}{extension}"
            found.append(Media(name=name, content_type=content_type, url=url))
        return found

    def fetch_media(self, media: Media) -> bytes:
        # Media URLs need the account's basic auth when the account enforces it; Twilio then
        # redirects to storage, and requests drops the credentials for the other host. Each hop
        # is checked by core.http like the first (the URL came in a webhook).
        auth = (self.account_sid, self.auth_token) if self.account_sid and self.auth_token else None
        try:
            return request(
                "GET", media.url, auth=auth, max_bytes=settings.SAMEN_MAX_UPLOAD_BYTES, follow_redirects=True
            ).content
        except HttpError as exc:
            raise TransportError(str(exc), permanent=exc.permanent) from exc


def webhook_url(channel: Channel, full_path: str) -> str:
    """The URL Twilio signed: the channel's `webhook_url` if set, else SAMEN_SITE_URL + the path.

    Behind a proxy or a tunnel the URL Django sees (http://internal:8000/...) is not the one
    Twilio called (https://samen.example/...), and the signature would never match.
    """
    configured = (channel.config or {}).get("webhook_url", "")
    return configured or f"{settings.SITE_URL}{full_path}"


def signature_is_valid(channel: Channel, url: str, params, headers) -> bool:
    signature = headers.get("X-Twilio-Signature", "")
    if not signature or not channel.secret:
        return False
    algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER, ""))
    try:
        return RequestValidator(channel.secret).validate(url, params, signature, algorithm)
    except UnicodeError:
        # Bytes that are not UTF-8 (read losslessly as surrogates): Twilio signs UTF-8 text, so
        # such a request cannot carry its signature.
        return False


def _json(content: bytes) -> dict:
    try:
        value = json.loads(content or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
