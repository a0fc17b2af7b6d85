"""Queue outbound messages. Delivery happens in `samen.messaging.tasks.deliver`, after commit.

Every message carries an idempotency key chosen by the caller (for example
"initiatives.invite:<invitation pk>"), so calling twice for the same event sends once.

Opt-outs (see messaging.optout) win over every caller. A message for an address that opted out
is not refused with an exception: `queue()` and `send_email()` store it with state SUPPRESSED and
the reason in `last_error`, enqueue nothing, and return it. A feature sending to many people
(followers, subscribers) therefore needs no special case, the log shows what was held back, and
a repeat call with the same key still finds the same row. Callers that want to tell the person
(say, a subscription form) check `outbound.state == OutboundMessage.State.SUPPRESSED`, or ask
`optout.is_opted_out()` first. There is no flag to send anyway.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F

from samen.core.text import single_line
from samen.messaging import optout
from samen.messaging.models import Channel, InboundMessage, OutboundMessage

logger = logging.getLogger(__name__)

# The one kind of message that may reach an address that has just opted out: the confirmation
# of that opt-out. The prefix is reserved, so no feature can borrow the exemption.
OPT_OUT_CONFIRMATION_KEY = "messaging.opt-out:"
OPT_IN_CONFIRMATION_KEY = "messaging.opt-in:"


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

    A second call with the same `key` returns the existing row and enqueues nothing. When `to`
    has opted out, the row is stored SUPPRESSED and nothing is enqueued (see the module's doc).
    """
    if not key:
        raise ValueError("an idempotency key is required")
    if key.startswith((OPT_OUT_CONFIRMATION_KEY, OPT_IN_CONFIRMATION_KEY)):
        raise ValueError(f"keys starting with {key.partition(':')[0]!r} are reserved for messaging")
    return _store(
        gateway,
        to,
        body,
        key=key,
        subject=subject,
        html_body=html_body,
        member=member,
        channel=channel,
        in_reply_to=in_reply_to,
        refusal=optout.refusal(gateway, to),
    )


def send_email(
    to: str, subject: str, body: str, *, key: str, member=None, html_body: str = ""
) -> OutboundMessage:
    """Queue an e-mail. `key` makes it idempotent; `member` links it to the recipient's account.

    Like `queue()`, an address that opted out of e-mail gets a SUPPRESSED row and no mail.
    """
    return queue("email", to, body, key=key, subject=subject, html_body=html_body, member=member)


def confirm_opt_change(
    message: InboundMessage, body: str, *, opted_out: bool, subject: str = ""
) -> OutboundMessage:
    """Queue the one answer to a STOP or START: to its sender, through its gateway and channel.

    Keyed on the inbound message, so a retried delivery or a second routing answers once. The
    answer to a STOP is the only message allowed to reach an address that has opted out.
    """
    prefix = OPT_OUT_CONFIRMATION_KEY if opted_out else OPT_IN_CONFIRMATION_KEY
    return _store(
        message.gateway,
        message.sender,
        body,
        key=f"{prefix}{message.pk}",
        subject=subject[: OutboundMessage._meta.get_field("subject").max_length],
        channel=message.channel,
        in_reply_to=message,
        member=message.member,
        refusal="" if opted_out else optout.refusal(message.gateway, message.sender),
    )


def suppress_if_opted_out(outbound: OutboundMessage) -> bool:
    """For the deliver task, after it claimed the row: True (and the row SUPPRESSED) when the
    recipient opted out since the message was queued."""
    if outbound.idempotency_key.startswith(OPT_OUT_CONFIRMATION_KEY):
        return False
    reason = optout.refusal(outbound.gateway, outbound.to)
    if not reason:
        return False
    # Nothing was tried, so the claim's attempt is handed back.
    OutboundMessage.objects.filter(pk=outbound.pk, state=OutboundMessage.State.SENDING).update(
        state=OutboundMessage.State.SUPPRESSED, last_error=reason, attempts=F("attempts") - 1
    )
    outbound.refresh_from_db(fields=["state", "last_error", "attempts"])
    logger.info("outbound message %s suppressed at send time: %s", outbound.pk, reason)
    return True


def _store(gateway: str, to: str, body: str, *, key: str, refusal: str, **fields) -> OutboundMessage:
    if "subject" in fields:
        # Every subject passes here: one line, or the mail could not be sent (core.text.single_line).
        fields["subject"] = single_line(
            fields["subject"], OutboundMessage._meta.get_field("subject").max_length
        )
    defaults = {"gateway": gateway, "to": to, "body": body, **fields}
    if refusal:
        defaults |= {"state": OutboundMessage.State.SUPPRESSED, "last_error": refusal}
    try:
        # The savepoint keeps a lost race from breaking the caller's transaction.
        with transaction.atomic():
            outbound, created = OutboundMessage.objects.get_or_create(idempotency_key=key, defaults=defaults)
    except IntegrityError:
        outbound, created = OutboundMessage.objects.get(idempotency_key=key), False
    if created and refusal:
        logger.info("outbound message %s suppressed: %s", outbound.pk, refusal)
    elif created:
        from samen.messaging.tasks import deliver

        pk = outbound.pk
        # Enqueue only after commit: a worker must never look for a row it cannot see yet,
        # and a rolled-back caller must not send anything.
        transaction.on_commit(lambda: deliver.enqueue(pk))
    return outbound
