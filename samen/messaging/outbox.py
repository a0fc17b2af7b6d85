"""Queue outbound messages. Delivery happens in `samen.messaging.tasks.deliver`, after commit.

Every message carries an idempotency key chosen by the caller (for example
"initiatives.invite:<invitation pk>"), so calling twice for the same event sends once.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from samen.messaging.models import Channel, OutboundMessage


def queue(
    gateway: str,
    to: str,
    body: str,
    *,
    key: str,
    subject: str = "",
    html_body: str = "",
    member=None,
    channel: Channel | None = None,
    in_reply_to=None,
) -> OutboundMessage:
    """Store a message for `gateway` and enqueue its delivery once the current transaction commits.

    A second call with the same `key` returns the existing row and enqueues nothing.
    """
    if not key:
        raise ValueError("an idempotency key is required")
    defaults = {
        "gateway": gateway,
        "to": to,
        "subject": subject,
        "body": body,
        "html_body": html_body,
        "member": member,
        "channel": channel,
        "in_reply_to": in_reply_to,
    }
    try:
        # The savepoint keeps a lost race from breaking the caller's transaction.
        with transaction.atomic():
            outbound, created = OutboundMessage.objects.get_or_create(idempotency_key=key, defaults=defaults)
    except IntegrityError:
        outbound, created = OutboundMessage.objects.get(idempotency_key=key), False
    if created:
        from samen.messaging.tasks import deliver

        pk = outbound.pk
        # Enqueue only after commit: a worker must never look for a row it cannot see yet,
        # and a rolled-back caller must not send anything.
        transaction.on_commit(lambda: deliver.enqueue(pk))
    return outbound


def send_email(
    to: str, subject: str, body: str, *, key: str, member=None, html_body: str = ""
) -> OutboundMessage:
    """Queue an e-mail. `key` makes it idempotent; `member` links it to the recipient's account."""
    return queue("email", to, body, key=key, subject=subject, html_body=html_body, member=member)
