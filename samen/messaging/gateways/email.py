"""Outbound e-mail through Django's mail framework.

Whatever EMAIL_BACKEND is configured does the work: SMTP, the console in development, or an ESP
through django-anymail. This module only turns their various failures into TransportError.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from samen.core.text import single_line
from samen.messaging.gateways import Gateway, TransportError, register

try:  # anymail is installed, but the gateway must not break if a deployment drops it.
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
except ImportError:  # pragma: no cover
    AnymailAPIError = AnymailRecipientsRefused = None


def _smtp_code_is_permanent(code) -> bool:
    # 5xx replies are permanent by definition of SMTP (RFC 5321 §4.2.1); 4xx are worth retrying.
    return isinstance(code, int) and 500 <= code < 600


@register("email")
class EmailGateway(Gateway):
    def send(self, outbound) -> str:
        from_email = self.config.get("from_email") or settings.DEFAULT_FROM_EMAIL
        message = EmailMultiAlternatives(
            subject=single_line(outbound.subject),  # rows stored before subjects were made one line
            body=outbound.body,
            from_email=from_email,
            to=[outbound.to],
            # Lets the ESP (and the recipient's mail client) tie retries together.
            headers={"X-Samen-Message": outbound.idempotency_key},
        )
        if outbound.html_body:
            message.attach_alternative(outbound.html_body, "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise TransportError(
                f"sender refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=True
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials will not fix themselves; disabling the channel makes that visible.
            raise TransportError(f"authentication failed: {exc.smtp_code}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(
                f"SMTP error {exc.smtp_code}: {exc.smtp_error!r}",
                permanent=_smtp_code_is_permanent(exc.smtp_code),
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"mail server unavailable: {exc}") from exc
        except Exception as exc:
            if AnymailRecipientsRefused is not None and isinstance(exc, AnymailRecipientsRefused):
                raise TransportError(f"recipient refused by provider: {exc}", permanent=True) from exc
            if AnymailAPIError is not None and isinstance(exc, AnymailAPIError):
                status = getattr(exc, "status_code", None)
                # 4xx other than rate limiting means the request itself is wrong; 5xx and 429 may pass later.
                permanent = isinstance(status, int) and 400 <= status < 500 and status != 429
                raise TransportError(f"e-mail provider error: {exc}", permanent=permanent) from exc
            raise
        return _provider_id(message)


def _provider_id(message) -> str:
    # anymail records the ESP's message id; plain SMTP has none beyond our own Message-ID header.
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return str(status.message_id)
    return message.extra_headers.get("Message-ID", "") or ""
