"""Background work for crowd reports: alerts to subscribers and webhook deliveries.

Every task here is safe to run twice. Alerts go through the messaging outbox under the key
`report:<id>:sub:<subscription id>`, so a second run queues nothing new. Webhook deliveries are
rows, unique per (webhook, report, event), claimed with a conditional UPDATE before anything is sent.
A claim expires: a row still SENDING CLAIM_TIMEOUT after its claim lost its worker, and the next run
(or `manage.py reports_requeue`, from cron) sends it again. The receiver may then get it twice, with
the same X-Samen-Delivery id (docs/webhooks.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from samen.core import http, taskqueue

from . import notify
from .models import Report, Subscription, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

# Five tries, 1, 4, 16 and 64 minutes apart: about an hour and a half, enough to outlast a deploy
# or a restart on the receiver's side without knocking on a dead door all day.
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60
RETRY_FACTOR = 4
# After this many deliveries in a row have failed for good, the webhook is switched off and says why.
DISABLE_AFTER_FAILURES = 5
TIMEOUT_SECONDS = 10.0
# An attempt takes at most TIMEOUT_SECONDS on the wire; one still SENDING this long after its claim
# lost its worker (killed, out of memory, the machine restarted).
CLAIM_TIMEOUT = timedelta(minutes=10)
# We read the receiver's answer only for its status; a large body is not its fault, but need not be kept.
MAX_RESPONSE_BYTES = 1024 * 1024


def on_report_published(sender, report_id: int, **kwargs) -> None:
    """Receiver of signals.report_published: alert subscribers and queue webhook deliveries."""
    transaction.on_commit(lambda: notify_subscribers.enqueue(report_id))
    transaction.on_commit(lambda: queue_webhooks.enqueue(report_id))


def _published(report_id: int) -> Report | None:
    return (
        Report.objects.select_related("report_map__initiative")
        .prefetch_related("categories")
        .filter(pk=report_id, status=Report.Status.PUBLISHED, merged_into__isnull=True)
        .first()
    )


RESCRUB_BATCH = 500


@task
def rescrub_map(map_id: int) -> int:
    """Scrub the public title, text and place of a map's reports again (after its country changed).

    Hand corrections stay as they are (Report.prepare leaves them). Safe to run twice: the result only
    depends on the originals and the map's country. Returns how many reports changed.
    """
    fields = ["public_title", "public_description", "public_place_name"]
    changed = 0
    batch: list[Report] = []
    reports = Report.objects.filter(report_map_id=map_id).select_related("report_map").order_by("pk")
    for report in reports.iterator(chunk_size=RESCRUB_BATCH):
        before = [getattr(report, field) for field in fields]
        report.prepare()
        if [getattr(report, field) for field in fields] != before:
            batch.append(report)
        if len(batch) >= RESCRUB_BATCH:
            changed += Report.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        changed += Report.objects.bulk_update(batch, fields)
    return changed


@task
def notify_subscribers(report_id: int) -> int:
    """Queue one alert per matching subscription. Returns how many were queued (or found queued)."""
    report = _published(report_id)
    if report is None:
        # Archived or merged again before we got here: it is no longer news anyone should get.
        return 0
    report_map = report.report_map
    subscriptions = list(notify.matching_subscriptions(report).order_by("pk"))
    sms_channel = (
        notify.sms_channel_for(report_map)
        if any(s.channel == Subscription.Channel.SMS for s in subscriptions)
        else None
    )
    queued = 0
    for subscription in subscriptions:
        if notify.may_receive(subscription, report_map) and notify.notify(
            report, subscription, sms_channel=sms_channel
        ):
            queued += 1
    return queued


@task
def queue_webhooks(report_id: int) -> int:
    """Make one delivery row per active webhook of the report's map; returns how many are new."""
    report = _published(report_id)
    if report is None:
        return 0
    created_count = 0
    for webhook in Webhook.objects.filter(report_map_id=report.report_map_id, active=True).order_by("pk"):
        try:
            with transaction.atomic():
                delivery, created = WebhookDelivery.objects.get_or_create(
                    webhook=webhook, report=report, event=notify.EVENT_PUBLISHED
                )
        except IntegrityError:
            # Another run made the row between our look-up and our insert; it will deliver it.
            continue
        if created:
            created_count += 1
            transaction.on_commit(partial(deliver_webhook.enqueue, delivery.pk))
    return created_count


@task
def deliver_webhook(delivery_id: int) -> str:
    """POST one delivery, signed. Returns the new state ("skipped" when another run has it)."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(_claimable(now))
        .update(state=WebhookDelivery.State.SENDING, attempts=F("attempts") + 1, sending_since=now)
    )
    if claimed != 1:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("webhook", "report__report_map").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.active:
        return _finish(delivery, WebhookDelivery.State.FAILED, error="The webhook is switched off.")
    report = _published(delivery.report_id)
    if report is None:
        # Sending a report that was unpublished in the meantime would leak what a reviewer withdrew.
        return _finish(delivery, WebhookDelivery.State.FAILED, error="The report is no longer published.")

    body = notify.encode(notify.webhook_payload(report, delivery.event))
    headers = notify.signed_headers(webhook.secret, delivery, body)
    try:
        response = http.request(
            "POST",
            webhook.url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_RESPONSE_BYTES,
        )
    except http.HttpError as exc:
        return _failed(delivery, str(exc), permanent=exc.permanent, status=exc.status)
    except Exception as exc:
        # A bug must not leave the row in SENDING for ever; log it and let the retry rules decide.
        logger.exception("webhook delivery %s crashed", delivery.pk)
        return _failed(delivery, f"{type(exc).__name__}: {exc}", permanent=False, status=None)
    return _finish(
        delivery,
        WebhookDelivery.State.DELIVERED,
        status=response.status,
        delivered_at=timezone.now(),
    )


def _claimable(now) -> Q:
    """QUEUED, or SENDING under a claim that outlived its worker (with tries left)."""
    return Q(state=WebhookDelivery.State.QUEUED) | Q(
        _expired(now), state=WebhookDelivery.State.SENDING, attempts__lt=MAX_ATTEMPTS
    )


def _expired(now) -> Q:
    # Rows claimed before `sending_since` existed have none: their creation time stands in.
    cutoff = now - CLAIM_TIMEOUT
    return Q(sending_since__lt=cutoff) | Q(sending_since__isnull=True, created_at__lt=cutoff)


def _finish(delivery: WebhookDelivery, state: str, *, error: str = "", status=None, delivered_at=None) -> str:
    delivery.state = state
    delivery.error = error
    delivery.response_status = status
    delivery.delivered_at = delivered_at
    delivery.save(update_fields=["state", "error", "response_status", "delivered_at"])
    return state


def _failed(delivery: WebhookDelivery, error: str, *, permanent: bool, status) -> str:
    give_up = permanent or delivery.attempts >= MAX_ATTEMPTS
    state = WebhookDelivery.State.FAILED if give_up else WebhookDelivery.State.QUEUED
    _finish(delivery, state, error=error, status=status)
    if give_up:
        _disable_after_repeated_failures(delivery.webhook)
    else:
        _schedule_retry(delivery)
    return state


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_BASE_SECONDS * RETRY_FACTOR ** (attempts - 1))


def _schedule_retry(delivery: WebhookDelivery) -> None:
    backend = deliver_webhook.get_backend()
    if not backend.supports_defer:
        # The immediate backend would retry on the spot, which cannot help a receiver that is down;
        # the row stays QUEUED for requeue_deliveries() or the "send again" button.
        return
    retry = deliver_webhook.using(run_after=timezone.now() + retry_delay(delivery.attempts))
    pk = delivery.pk
    transaction.on_commit(lambda: retry.enqueue(pk))


def _disable_after_repeated_failures(webhook: Webhook) -> None:
    finished = (
        WebhookDelivery.objects.filter(webhook=webhook)
        .exclude(state__in=[WebhookDelivery.State.QUEUED, WebhookDelivery.State.SENDING])
        .order_by("-created_at", "-pk")
        .values_list("state", "error")[:DISABLE_AFTER_FAILURES]
    )
    latest = list(finished)
    if len(latest) < DISABLE_AFTER_FAILURES or any(
        state != WebhookDelivery.State.FAILED for state, _ in latest
    ):
        return
    reason = (
        f"Switched off after {DISABLE_AFTER_FAILURES} failed deliveries in a row. Last error: {latest[0][1]}"
    )
    field = Webhook._meta.get_field("disabled_reason")
    # Conditional, so that of several failures landing together the first one's reason stays.
    Webhook.objects.filter(pk=webhook.pk, active=True).update(
        active=False, disabled_reason=reason[: field.max_length]
    )
    logger.warning("webhook %s disabled: %s", webhook.pk, reason)


def resend(delivery: WebhookDelivery) -> bool:
    """A coordinator asks to send a failed delivery again. Returns False when it is not failed."""
    reset = WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.FAILED).update(
        state=WebhookDelivery.State.QUEUED, attempts=0, error=""
    )
    if reset != 1:
        return False
    pk = delivery.pk
    transaction.on_commit(lambda: deliver_webhook.enqueue(pk))
    return True


def requeue_deliveries(*, queued_for: timedelta, progress=None) -> int:
    """Enqueue QUEUED deliveries older than `queued_for` whose retry was lost; returns how many.

    Like messaging_requeue: with django-tasks-db, a delivery whose retry is still waiting in the queue
    is skipped; elsewhere an extra run is harmless, since only one run claims the row.
    """
    pks = list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.QUEUED,
            created_at__lt=timezone.now() - queued_for,
            attempts__lt=MAX_ATTEMPTS,
            webhook__active=True,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    waiting = taskqueue.queued_for(deliver_webhook, pks)
    lost = [pk for pk in pks if pk not in waiting]
    if progress is not None:
        progress(0, len(lost))
    for done, pk in enumerate(lost, start=1):
        deliver_webhook.enqueue(pk)
        if progress is not None:
            progress(done, len(lost))
    return len(lost)


def recover_deliveries(*, progress=None) -> tuple[int, int]:
    """Deliveries stuck in SENDING past CLAIM_TIMEOUT: queued and enqueued again, or failed.

    Their worker died mid-attempt, perhaps after the receiver got the POST: sending again may
    deliver twice, which receivers can tell by X-Samen-Delivery; never sending would lose it. A
    delivery out of tries fails with the reason instead. Each row changes with a conditional
    UPDATE, so a run that claimed it meanwhile, or a second recovery, wins. Returns (requeued, failed).
    """
    now = timezone.now()
    stuck = list(
        WebhookDelivery.objects.filter(_expired(now), state=WebhookDelivery.State.SENDING)
        .order_by("created_at", "pk")
        .values_list("pk", "webhook_id", "attempts")
    )
    requeued = failed = 0
    if progress is not None:
        progress(0, len(stuck))
    for done, (pk, webhook_id, attempts) in enumerate(stuck, start=1):
        row = WebhookDelivery.objects.filter(_expired(now), pk=pk, state=WebhookDelivery.State.SENDING)
        if attempts >= MAX_ATTEMPTS:
            if row.update(
                state=WebhookDelivery.State.FAILED, error="The worker sending it stopped before it finished."
            ):
                failed += 1
                _disable_after_repeated_failures(Webhook(pk=webhook_id))
        elif row.update(state=WebhookDelivery.State.QUEUED, sending_since=None):
            requeued += 1
            deliver_webhook.enqueue(pk)
        if progress is not None:
            progress(done, len(stuck))
    return requeued, failed
