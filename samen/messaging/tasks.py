"""Messaging's background work, as Django tasks: routing inbound messages and delivering outbound ones.

Both may run twice for the same message (a retried enqueue, two workers, a manual requeue), so
each claims its row with a conditional UPDATE first and does nothing when the claim fails.
- `route` hands a stored inbound message to the router (and so to a feature app's handler);
- `deliver` sends one queued outbound message through its gateway.

A crash loses nothing: `manage.py messaging_requeue` (cron) gives lost task claims back to the
queue (`samen.core.taskqueue`), routes again what was never routed (`requeue_unrouted`) and
enqueues again what lost its delivery task (`requeue_stuck`).
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

from samen.core import taskqueue
from samen.core.taskqueue import Progress
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
    nothing wanted it). Every outcome sets `routed_at` in the same transaction, so a NEW message
    without it is one whose routing never finished (see requeue_unrouted).
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
        message.routed_at = timezone.now()
        if name is not None:
            message.save(update_fields=["routed_at"])
            return name
        if message.state == InboundMessage.State.FAILED:
            message.save(update_fields=["routed_at"])
            return FAILED
        # Nothing wanted it: it stays NEW, waiting for a person, which is the point of keeping it.
        message.state = InboundMessage.State.NEW
        message.save(update_fields=["state", "routed_at"])
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


def _no_progress(done: int, total: int) -> None:
    pass


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def requeue_stuck(*, queued_for: timedelta, progress: Progress = _no_progress) -> int:
    """Enqueue delivery for QUEUED messages older than `queued_for` that lost their task; returns how many.

    Such rows lost their task (a backend without deferred tasks, a flushed queue, a task given up).
    With django-tasks-db the queue is looked at first, so a message whose retry is still waiting is
    not enqueued again on every run; with other backends an extra run is harmless, since whichever
    run claims the row first sends it. SENDING rows are left alone on purpose: their worker may have
    sent the message before dying, and sending twice is worse than asking a person to look (the
    admin can requeue them).
    """
    pks = list(
        OutboundMessage.objects.filter(
            state=OutboundMessage.State.QUEUED,
            created_at__lt=timezone.now() - queued_for,
            attempts__lt=MAX_ATTEMPTS,
        )
        # A polled gateway's messages (SMSSync) wait for their phone's next poll; `deliver` skips them.
        .exclude(gateway__in=polled_kinds())
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    waiting = taskqueue.queued_for(deliver, pks)
    lost = [pk for pk in pks if pk not in waiting]
    _enqueue_each(deliver, lost, progress)
    return len(lost)


def requeue_unrouted(*, received_for: timedelta, progress: Progress = _no_progress) -> tuple[int, int]:
    """Route again the NEW messages, older than `received_for`, whose routing never finished.

    A message whose worker died mid-route rolled back to NEW, and its task either stayed RUNNING
    (django-tasks-db: `taskqueue.recover_lost_claims` runs it again, so it is not enqueued twice
    here) or was lost (another backend, a task that could not be enqueued). Messages that nothing
    wanted are NEW too, but have `routed_at`: they wait for a person and are left alone. A message
    whose routing felled MAX_CLAIMS workers (a task given up with WorkerLost) is marked FAILED with
    that reason instead, so that it cannot kill the next worker; the admin's "route again" is there
    once someone has looked. Returns (enqueued, failed).
    """
    pks = list(
        InboundMessage.objects.filter(
            state=InboundMessage.State.NEW,
            routed_at__isnull=True,
            received_at__lt=timezone.now() - received_for,
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)
    )
    waiting = taskqueue.queued_for(route, pks)
    given_up = taskqueue.given_up_for(route, [pk for pk in pks if pk not in waiting])
    failed = 0
    if given_up:
        failed = InboundMessage.objects.filter(
            pk__in=given_up, state=InboundMessage.State.NEW, routed_at__isnull=True
        ).update(
            state=InboundMessage.State.FAILED,
            error=f"Routing stopped the worker {taskqueue.MAX_CLAIMS} times; route it again by hand.",
        )
    lost = [pk for pk in pks if pk not in waiting and pk not in given_up]
    _enqueue_each(route, lost, progress)
    return len(lost), failed


def _enqueue_each(task, pks: list[int], progress: Progress) -> None:
    progress(0, len(pks))
    for done, pk in enumerate(pks, start=1):
        task.enqueue(pk)
        progress(done, len(pks))
