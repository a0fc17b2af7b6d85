"""Receive inbound messages from any gateway: store the raw payload first, then route.

Gateways retry (phones resend, webhooks redeliver), so `receive` is idempotent on
"<gateway>:<the gateway's own message id>".
"""

from __future__ import annotations

import json
from email.utils import parseaddr

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from samen.messaging import router
from samen.messaging.models import Channel, InboundMessage


def receive(
    gateway: str,
    external_id: str,
    *,
    sender: str,
    body: str,
    raw,
    recipient: str = "",
    subject: str = "",
    channel: Channel | None = None,
) -> tuple[InboundMessage, bool]:
    """Store one inbound message and route it; returns (message, created).

    `raw` is the payload exactly as the gateway sent it (str, bytes, or a dict/list that is kept
    as JSON). A repeat delivery returns the stored message with created=False and routes nothing.
    """
    if not external_id:
        raise ValueError("the gateway's message id is required for idempotency")
    key = f"{gateway}:{external_id}"
    defaults = {
        "gateway": gateway,
        "channel": channel,
        "sender": _fit(sender, "sender"),
        "recipient": _fit(recipient, "recipient"),
        "subject": _fit(subject, "subject"),
        "body": body or "",
        "raw": _raw_text(raw),
        "member": _member_for(sender),
    }
    try:
        # Savepoint: a lost race must not poison the caller's transaction.
        with transaction.atomic():
            message, created = InboundMessage.objects.get_or_create(idempotency_key=key, defaults=defaults)
    except IntegrityError:
        message, created = InboundMessage.objects.get(idempotency_key=key), False
    if created:
        router.route(message)
    return message, created


def _raw_text(raw) -> str:
    if isinstance(raw, bytes):
        # Keep undecodable bytes visible rather than failing: the raw copy is the safety net.
        return raw.decode("utf-8", errors="backslashreplace")
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)


def _fit(value: str, field: str) -> str:
    # Headers from the outside world can be longer than our columns; the full text stays in `raw`.
    return (value or "")[: getattr(InboundMessage._meta.get_field(field), "max_length", None)]


def _member_for(sender: str):
    """The member the sender's address or number belongs to, if exactly one does."""
    sender = (sender or "").strip()
    if not sender:
        return None
    Member = get_user_model()
    address = parseaddr(sender)[1]
    if "@" in address:
        matches = Member.objects.filter(email__iexact=address)
    else:
        matches = Member.objects.filter(phone=sender)
    found = list(matches[:2])
    return found[0] if len(found) == 1 else None
