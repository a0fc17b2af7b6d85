"""Webhook deliveries whose worker died while sending: the claim expires and the delivery goes again."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from samen.reports import notify, tasks
from samen.reports.models import Report, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(report_map, httpserver):
    return Webhook.objects.create(
        report_map=report_map, url=httpserver.url_for("/hook"), secret=notify.new_secret()
    )


@pytest.fixture
def stuck(webhook, make_report):
    """A delivery as a killed worker leaves it: SENDING, claimed some minutes ago."""

    def make(*, minutes_ago: float, attempts: int = 1) -> WebhookDelivery:
        report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
        delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=WebhookDelivery.State.SENDING,
            attempts=attempts,
            sending_since=timezone.now() - timedelta(minutes=minutes_ago),
        )
        delivery.refresh_from_db()
        return delivery

    return make


def run(*args) -> str:
    out = StringIO()
    call_command("reports_requeue", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_claim_records_when_the_attempt_started(webhook, make_report, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)
    before = timezone.now()

    assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.DELIVERED

    delivery.refresh_from_db()
    assert before <= delivery.sending_since <= timezone.now()


def test_a_run_takes_over_a_claim_that_outlived_its_worker_and_sends_with_the_same_id(stuck, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    delivery = stuck(minutes_ago=tasks.CLAIM_TIMEOUT.total_seconds() / 60 + 1)

    assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.DELIVERED

    [(request, _response)] = httpserver.log
    assert request.headers["X-Samen-Delivery"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_claim_still_within_its_time_is_left_to_its_worker(stuck, httpserver):
    delivery = stuck(minutes_ago=1)

    assert tasks.deliver_webhook.call(delivery.pk) == "skipped"
    assert tasks.recover_deliveries() == (0, 0)
    assert httpserver.log == []
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.SENDING


def test_recovery_sends_a_stuck_delivery_again_once(stuck, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    delivery = stuck(minutes_ago=30)

    assert tasks.recover_deliveries() == (1, 0)
    assert tasks.recover_deliveries() == (0, 0)

    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED  # the immediate backend sent it on the spot
    assert len(httpserver.log) == 1


def test_a_stuck_delivery_out_of_tries_fails_with_the_reason(stuck, httpserver):
    delivery = stuck(minutes_ago=30, attempts=tasks.MAX_ATTEMPTS)

    assert tasks.deliver_webhook.call(delivery.pk) == "skipped"
    assert tasks.recover_deliveries() == (0, 1)

    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert "stopped before it finished" in delivery.error
    assert httpserver.log == []


def test_a_delivery_claimed_before_claims_had_a_time_counts_from_its_creation(webhook, make_report):
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        report=report,
        state=WebhookDelivery.State.SENDING,
        attempts=tasks.MAX_ATTEMPTS,
        created_at=timezone.now() - timedelta(hours=2),
    )

    assert tasks.recover_deliveries() == (0, 1)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.FAILED


def test_the_command_recovers_stuck_and_lost_deliveries_and_says_how_many(
    stuck, webhook, make_report, httpserver
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    stuck(minutes_ago=30)
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    WebhookDelivery.objects.create(
        webhook=webhook, report=report, created_at=timezone.now() - timedelta(hours=1)
    )

    output = run()

    assert "Webhooks: 1 stuck delivery(ies) sent again, 0 failed" in output
    assert "Webhooks: 1 queued delivery(ies) enqueued again" in output
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.DELIVERED}
    assert len(httpserver.log) == 2


def test_a_lost_retry_still_waiting_in_the_database_queue_is_not_enqueued_twice(
    settings, webhook, make_report
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, report=report, created_at=timezone.now() - timedelta(hours=1)
    )
    tasks.deliver_webhook.using(run_after=timezone.now() + timedelta(minutes=16)).enqueue(delivery.pk)

    assert "Webhooks: 0 queued delivery(ies) enqueued again" in run()
    assert DBTaskResult.objects.count() == 1
