"""Payloads exactly as the providers send them, and small helpers to replay them in tests.

The files are what goes over the wire: form bodies (`.form`), JSON bodies (`.json`), a Mailgun
multipart post (`.multipart`, with its boundary in `.content-type`) and an e-mail (`.eml`).
"""

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
