"""Mail backends that fail the way real servers and ESPs do, for the gateway tests."""

import smtplib

import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core.mail.backends.base import BaseEmailBackend


def esp_response(status: int, reason: str, body: bytes) -> requests.Response:
    # anymail describes errors from the provider's HTTP response, so give it a real one.
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = body
    return response


class _Failing(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise self.error()


class RecipientRefused(_Failing):
    @staticmethod
    def error():
        return smtplib.SMTPRecipientsRefused({"nobody@example.org": (550, b"5.1.1 User unknown")})


class TemporarilyUnavailable(_Failing):
    @staticmethod
    def error():
        return smtplib.SMTPResponseException(451, b"4.3.0 Try again later")


class PermanentlyRejected(_Failing):
    @staticmethod
    def error():
        return smtplib.SMTPResponseException(554, b"5.7.1 Message rejected")


class ServerDown(_Failing):
    @staticmethod
    def error():
        return ConnectionRefusedError(111, "Connection refused")


class EspRefusesRecipient(_Failing):
    @staticmethod
    def error():
        return AnymailRecipientsRefused("All message recipients were rejected or invalid")


class EspBadRequest(_Failing):
    @staticmethod
    def error():
        return AnymailAPIError(
            "Invalid API token",
            status_code=401,
            response=esp_response(401, "Unauthorized", b'{"error": "bad token"}'),
        )


class EspOverloaded(_Failing):
    @staticmethod
    def error():
        return AnymailAPIError(
            "Service unavailable", status_code=503, response=esp_response(503, "Service Unavailable", b"down")
        )


class Broken(_Failing):
    @staticmethod
    def error():
        return ZeroDivisionError("a bug in the backend")
