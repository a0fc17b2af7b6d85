"""Payloads exactly as the providers send them, and small helpers to replay them in tests.

The files are what goes over the wire: form bodies (`.form`), JSON bodies (`.json`), a Mailgun
multipart post (`.multipart`, with its boundary in `.content-type`) and an e-mail (`.eml`).
"""

import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator

HERE = Path(__file__).resolve().parent


def raw(name: str) -> bytes:
    return (HERE / name).read_bytes()


def text(name: str) -> str:
    return (HERE / name).read_text()


def form(name: str) -> dict[str, str]:
    """A form body's fields, in the provider's order, blank values kept."""
    return dict(parse_qsl(text(name).strip(), keep_blank_values=True))


def twilio_post(client, path: str, fields: dict[str, str], *, auth_token: str, signed_url: str, **extra):
    """POST `fields` as Twilio does, signed with the twilio library for `signed_url`."""
    signature = RequestValidator(auth_token).compute_signature(signed_url, fields)
    return client.post(
        path,
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
        **extra,
    )


def mailgun_signature(
    signing_key: str, *, timestamp: int | None = None, token: str | None = None
) -> dict[str, str]:
    """Mailgun's three signature fields for one delivery attempt, as Mailgun makes them.

    By default signed now, with a new 50-character token: Samen refuses a signature more than five
    minutes old and a token it has seen, so every replayed post is signed afresh.
    """
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = secrets.token_hex(25) if token is None else token
    signature = hmac.new(signing_key.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": stamp, "token": token, "signature": signature}


def mailgun_resigned(body: bytes, signing_key: str, **signature) -> bytes:
    """A Mailgun multipart post with its signature fields made again (see mailgun_signature)."""
    for field, value in mailgun_signature(signing_key, **signature).items():
        part = re.compile(rb'(name="' + field.encode() + rb'"\r\n\r\n)[^\r]*')
        body, count = part.subn(rb"\g<1>" + value.encode(), body)  # digits and hex: nothing to escape
        assert count == 1, f"the post has no single {field} field"
    return body


def mailgun_multipart(signing_key: str, name: str = "mailgun_inbound.multipart", **signature) -> bytes:
    """A recorded Mailgun multipart post, signed again (see mailgun_signature)."""
    return mailgun_resigned(raw(name), signing_key, **signature)
