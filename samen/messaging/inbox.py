"""Receive inbound messages from any gateway: store the raw payload first, route it in the background.

Gateways retry (phones resend, webhooks redeliver), so `receive` is idempotent on
"<gateway>:<the gateway's own message id>". It does as little as it can, because it runs inside
the provider's webhook: one INSERT of the raw message and one task to route it. When the tasks
live in the same database (django-tasks-db, the default), both rows go in one transaction: one
write lock and one commit per message instead of two, and never a message without its task. Any
other failure there falls back to storing the raw message alone first, so it is never lost.
Routing (the router, the feature app's handler, its replies) is `samen.messaging.tasks.route`,
which is safe to run twice.
"""

from __future__ import annotations

import json
import logging
from email.utils import parseaddr

from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction

from samen.messaging.models import Channel, InboundMessage

logger = logging.getLogger(__name__)

_LIMITS = {
    name: getattr(InboundMessage._meta.get_field(name), "max_length", None)
    for name in ("sender", "recipient", "subject")
}


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
    """Store one inbound message and enqueue its routing; returns (message, created).

    `raw` is the payload exactly as the gateway sent it (str, bytes, or a dict/list that is kept
    as JSON). A repeat delivery returns the stored message with created=False and enqueues nothing.
    The routing task is enqueued when the caller's transaction commits (at once, outside one).
    """
    if not external_id:
        raise ValueError("the gateway's message id is required for idempotency")
    key = f"{gateway}:{external_id}"
    message = InboundMessage(
        idempotency_key=key,
        gateway=gateway,
        channel=channel,
        sender=_fit(sender, "sender"),
        recipient=_fit(recipient, "recipient"),
        subject=_fit(subject, "subject"),
        body=body or "",
        raw=_raw_text(raw),
    )
    from samen.messaging.tasks import route

    if not transaction.get_connection().in_atomic_block and _tasks_in_this_database(route):
        try:
            # The message and its task in one transaction (see the module's docstring).
            with transaction.atomic():
                message.save(force_insert=True)
                route.enqueue(message.pk)
            return message, True
        except IntegrityError:
            existing = InboundMessage.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing, False
            logger.exception("storing inbound message %s with its task failed; storing it alone", key)
        except DatabaseError:
            logger.exception("storing inbound message %s with its task failed; storing it alone", key)
        # Rolled back: store the raw message on its own, as below.
        message.pk = None
        message._state.adding = True

    try:
        # Insert first and look only when that fails: a new message (the common case) costs one
        # INSERT, and the unique key, not a look-up that could race, decides who stored it.
        _insert(message)
    except IntegrityError:
        existing = InboundMessage.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise  # some other constraint failed: that is a bug, not a retry
        return existing, False

    pk = message.pk
    # After commit: the worker must find the row, and a rolled-back caller must route nothing.
    transaction.on_commit(lambda: route.enqueue(pk))
    return message, True


def _tasks_in_this_database(task) -> bool:
    """Whether the task's backend keeps its queue in Samen's own database (django-tasks-db)."""
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - it is installed with Samen
        return False
    return isinstance(task.get_backend(), DatabaseBackend)


def _insert(message: InboundMessage) -> None:
    if transaction.get_connection().in_atomic_block:
        # Inside a caller's transaction, a savepoint keeps a lost race from breaking it.
        with transaction.atomic():
            message.save(force_insert=True)
    else:
        # Outside one (a webhook), the INSERT is its own transaction: one statement that takes
        # SQLite's write lock and lets go of it inside the database library. A BEGIN … COMMIT
        # around it would hold the lock across three calls, and between them this thread may
        # wait for the GIL while every other writer waits for it.
        message.save(force_insert=True)


def member_for(sender: str):
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


def _raw_text(raw) -> str:
    if isinstance(raw, bytes):
        # Keep undecodable bytes visible rather than failing: the raw copy is the safety net.
        return raw.decode("utf-8", errors="backslashreplace")
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)


def _fit(value: str, field: str) -> str:
    # Headers from the outside world can be longer than our columns; the full text stays in `raw`.
    return (value or "")[: _LIMITS[field]]
