"""Messaging's background work, as Django tasks: routing inbound messages and delivering outbound ones.

Both may run twice for the same message (a retried enqueue, two workers, a manual requeue), so
each claims its row with a conditional UPDATE first and does nothing when the claim fails.
- `route` hands a stored inbound message to the router (and so to a feature app's handler);
- `deliver` sends one queued outbound message through its gateway.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from samen.messaging import router
from samen.messaging.gateways import TransportError, UnknownGateway, get_gateway, polled_kinds
from samen.messaging.inbox import member_for
from samen.messaging.models import Channel, DeliveryAttempt, InboundMessage, OutboundMessage

logger = logging.getLogger(__name__)

# Five tries spread over about a quarter of an hour outlast a mail server restart without
# hammering a provider that is really down.
MAX_ATTEMPTS = getattr(settings, "SAMEN_MESSAGING_MAX_ATTEMPTS", 5)
RETRY_BASE_SECONDS = 60


# What `route` returns besides a route's name.
SKIPPED = "skipped"
UNROUTED = "unrouted"
FAILED = "failed"


@task
def route(inbound_id: int) -> str:
    """Route one stored inbound message. Returns the route's name, or SKIPPED, UNROUTED or FAILED.

    The claim is a conditional UPDATE (NEW → ROUTED) at the start of one transaction that also
    holds the routing and its outcome. A second run waits for the first (the row lock on
    PostgreSQL, the write lock on SQLite), then finds the message no longer NEW and does nothing.
    A worker that dies half-way rolls back to NEW, so the message is never left claimed but
    unrouted, and the next run routes it. Outside this transaction nobody sees the claim: the
    message goes straight from NEW to ROUTED (or FAILED, with the error, or NEW again when
    nothing wanted it).
    """
    with transaction.atomic():
        claimed = InboundMessage.objects.filter(pk=inbound_id, state=InboundMessage.State.NEW).update(
            state=InboundMessage.State.ROUTED
        )
        if claimed != 1:
            # Routed already, failed (a person looks at it and routes it again), or gone.
            return SKIPPED
        message = InboundMessage.objects.select_related("channel").get(pk=inbound_id)
        if message.member_id is None:
            # Here rather than in the webhook: a look-up the provider need not wait for.
            member = member_for(message.sender)
            if member is not None:
                message.member = member
                message.save(update_fields=["member"])
        name = router.route(message)
        if name is not None:
            return name
        if message.state == InboundMessage.State.FAILED:
            return FAILED
        # Nothing wanted it: it stays NEW, waiting for a person, which is the point of keeping it.
        message.state = InboundMessage.State.NEW
        message.save(update_fields=["state"])
        return UNROUTED


@task
def deliver(outbound_id: int) -> str:
    """Send one queued message through its gateway and record the attempt. Returns the new state."""
    claimed = (
        OutboundMessage.objects.filter(pk=outbound_id, state=OutboundMessage.State.QUEUED)
        # Polled gateways (SMSSync) hand their messages over when the phone asks: never push them.
        .exclude(gateway__in=polled_kinds())
        .update(state=OutboundMessage.State.SENDING, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        # Someone else is sending it, or it is already done (or gone): nothing to do.
        return "skipped"
    outbound = OutboundMessage.objects.select_related("channel").get(pk=outbound_id)
    from samen.messaging.outbox import suppress_if_opted_out

    # A STOP that arrived after the message was queued still wins (see messaging.optout).
    if suppress_if_opted_out(outbound):
        return outbound.state

    started = time.monotonic()
    try:
        provider_id = _send(outbound)
    except TransportError as exc:
        return _failed(
            outbound, exc.message, exc.permanent, _elapsed_ms(started), recipient_only=exc.recipient_only
        )
    except Exception as exc:
        # A bug in a gateway must not leave the row stuck in SENDING; treat it as worth retrying
        # and keep the details in the log for whoever fixes the gateway.
        logger.exception("gateway %s crashed on outbound message %s", outbound.gateway, outbound.pk)
        return _failed(outbound, f"{type(exc).__name__}: {exc}", False, _elapsed_ms(started))

    duration_ms = _elapsed_ms(started)
    with transaction.atomic():
        DeliveryAttempt.objects.create(message=outbound, ok=True, duration_ms=duration_ms)
        outbound.state = OutboundMessage.State.SENT
        outbound.provider_id = provider_id or ""
        outbound.sent_at = timezone.now()
        outbound.last_error = ""
        outbound.save(update_fields=["state", "provider_id", "sent_at", "last_error"])
    return outbound.state


def _send(outbound: OutboundMessage) -> str:
    channel = outbound.channel
    if channel is not None and not channel.enabled:
        raise TransportError(f"channel {channel} is disabled: {channel.disabled_reason}", permanent=True)
    try:
        gateway = get_gateway(outbound.gateway, channel)
    except UnknownGateway as exc:
        raise TransportError(str(exc), permanent=True) from exc
    return gateway.send(outbound)


def _failed(
    outbound: OutboundMessage, error: str, permanent: bool, duration_ms: int, *, recipient_only: bool = False
) -> str:
    give_up = permanent or outbound.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=outbound, ok=False, error=error, permanent=permanent, duration_ms=duration_ms
        )
        outbound.state = OutboundMessage.State.FAILED if give_up else OutboundMessage.State.QUEUED
        outbound.last_error = error
        outbound.save(update_fields=["state", "last_error"])
        channel = outbound.channel
        if permanent and not recipient_only and channel is not None and channel.enabled:
            _disable_channel(channel, error)
    if not give_up:
        _schedule_retry(outbound)
    return outbound.state


def _disable_channel(channel: Channel, reason: str) -> None:
    field = Channel._meta.get_field("disabled_reason")
    # Conditional, so the first reason wins when several messages fail at once.
    Channel.objects.filter(pk=channel.pk, enabled=True).update(
        enabled=False, disabled_reason=reason[: field.max_length]
    )
    logger.warning("channel %s disabled: %s", channel.pk, reason)


def _schedule_retry(outbound: OutboundMessage) -> None:
    backend = deliver.get_backend()
    if not backend.supports_defer:
        # The immediate backend (tests, SAMEN_TASKS_BACKEND=immediate) would retry on the spot,
        # which cannot help a transient failure; the row stays QUEUED for `messaging_requeue`.
        return
    delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (outbound.attempts - 1))
    retry = deliver.using(run_after=timezone.now() + delay)
    pk = outbound.pk
    transaction.on_commit(lambda: retry.enqueue(pk))


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def requeue_stuck(*, queued_for: timedelta) -> int:
    """Enqueue delivery for QUEUED messages older than `queued_for`; returns how many.

    Such rows lost their task (a backend without deferred tasks, a flushed queue). Enqueueing one
    that still has a pending retry is harmless: whichever run claims the row first sends it.
    SENDING rows are left alone on purpose: their worker may have sent the message before dying,
    and sending twice is worse than asking a person to look (the admin can requeue them).
    """
    pks = list(
        OutboundMessage.objects.filter(
            state=OutboundMessage.State.QUEUED,
            created_at__lt=timezone.now() - queued_for,
            attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )
    for pk in pks:
        deliver.enqueue(pk)
    return len(pks)
