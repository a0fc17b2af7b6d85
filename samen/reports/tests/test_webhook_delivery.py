"""Outbound webhooks: each published report POSTed once per webhook, signed, retried, and given up on."""

# Fixtures are imported from other test modules and used as parameters.
# ruff: noqa: F401, F811

import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from samen.core import http
from samen.reports import notify, tasks
from samen.reports.models import Report, Webhook, WebhookDelivery

from .test_notify_alerts import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(report_map, httpserver):
    return Webhook.objects.create(
        report_map=report_map, url=httpserver.url_for("/hook"), secret=notify.new_secret()
    )


def test_a_published_report_is_posted_signed_and_the_receiver_can_verify_it(
    webhook,
    make_report,
    categories,
    publish,
    httpserver,
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    report = make_report(title="Tap broken", description="Broken. Call +254 712 345 678 or amina@example.org")
    report.categories.set([categories["broken"]])
    publish(report)

    [(request, _response)] = httpserver.log
    body = request.get_data()
    assert notify.verify_signature(webhook.secret, body, request.headers)
    assert request.headers["X-Samen-Event"] == "report.published"
    assert request.headers["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-Samen-Delivery"] == str(delivery.pk)
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.response_status == 200
    assert delivery.attempts == 1

    payload = json.loads(body)
    assert payload["id"] == report.pk
    assert payload["event"] == "report.published"
    assert payload["map"]["slug"] == report.report_map.slug
    assert payload["title"] == "Tap broken"
    assert payload["location"]["latitude"] == float(report.latitude)
    assert payload["categories"] == [
        {"id": categories["broken"].pk, "title": "Broken water point", "parent": categories["urgent"].pk}
    ]
    assert payload["verified"] is False
    assert payload["url"].endswith(report.get_absolute_url())


def test_the_payload_never_holds_the_reporter_or_the_original_text(webhook, make_report, publish, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    publish(
        make_report(
            description="Broken. Call +254 712 345 678.",
            reporter_contact="+254799999999",
            reporter_name="Amina",
        )
    )

    body = httpserver.log[0][0].get_data().decode()
    for private in ("712 345 678", "+254799999999", "Amina", "reporter"):
        assert private not in body


def test_a_tampered_body_or_another_secret_does_not_verify(webhook, make_report, publish, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    publish(make_report())
    request = httpserver.log[0][0]
    body = request.get_data()

    assert not notify.verify_signature(webhook.secret, body.replace(b"Water", b"Fire"), request.headers)
    assert not notify.verify_signature("whsec_someone-else", body, request.headers)


def test_publishing_again_or_rerunning_the_tasks_delivers_once(webhook, make_report, publish, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    report = publish(make_report())
    publish(report)
    tasks.queue_webhooks.call(report.pk)
    delivery = WebhookDelivery.objects.get()
    assert tasks.deliver_webhook.call(delivery.pk) == "skipped"

    assert len(httpserver.log) == 1


def test_every_active_webhook_of_the_map_gets_its_own_delivery(
    webhook, report_map, make_report, publish, httpserver
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    httpserver.expect_request("/second").respond_with_data("ok")
    second = Webhook.objects.create(
        report_map=report_map, url=httpserver.url_for("/second"), secret="whsec_two"
    )
    Webhook.objects.create(report_map=report_map, url=httpserver.url_for("/off"), active=False)
    publish(make_report())

    assert sorted(request.path for request, _ in httpserver.log) == ["/hook", "/second"]
    second_request = next(request for request, _ in httpserver.log if request.path == "/second")
    assert notify.verify_signature(second.secret, second_request.get_data(), second_request.headers)


def test_a_transient_failure_is_retried_later_with_backoff(
    webhook, make_report, httpserver, settings, django_capture_on_commit_callbacks
):
    # A backend that can defer, so the retry is scheduled instead of run on the spot.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    httpserver.expect_request("/hook").respond_with_data("busy", status=503)
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.QUEUED

    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert "503" in delivery.error
    assert delivery.response_status == 503
    [retry] = tasks.deliver_webhook.get_backend().results
    assert retry.args == [delivery.pk]
    assert retry.task.run_after > timezone.now() + tasks.retry_delay(1) - timedelta(seconds=5)
    assert tasks.retry_delay(2) > tasks.retry_delay(1)


def test_retries_are_bounded(webhook, make_report, httpserver):
    httpserver.expect_request("/hook").respond_with_data("busy", status=503)
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)

    states = [tasks.deliver_webhook.call(delivery.pk) for _ in range(tasks.MAX_ATTEMPTS)]

    assert states[:-1] == [WebhookDelivery.State.QUEUED] * (tasks.MAX_ATTEMPTS - 1)
    assert states[-1] == WebhookDelivery.State.FAILED
    assert tasks.deliver_webhook.call(delivery.pk) == "skipped"
    assert len(httpserver.log) == tasks.MAX_ATTEMPTS


def test_a_permanent_failure_is_not_retried(webhook, make_report, publish, httpserver):
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    publish(make_report())

    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.attempts == 1
    assert delivery.response_status == 410


def test_a_receiver_that_cannot_be_reached_is_a_transient_failure(report_map, make_report, settings):
    # Nothing listens on port 9 (discard) on the loopback interface, allowed here to be reached.
    settings.SAMEN_HTTP_ALLOWED_HOSTS = ["127.0.0.1"]
    webhook = Webhook.objects.create(report_map=report_map, url="http://127.0.0.1:9/hook")
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)

    assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.QUEUED
    delivery.refresh_from_db()
    assert delivery.error


def test_repeated_failures_switch_the_webhook_off_and_say_why(webhook, make_report, publish, httpserver):
    httpserver.expect_request("/hook").respond_with_data("no", status=404)
    for n in range(tasks.DISABLE_AFTER_FAILURES):
        publish(make_report(title=f"Report {n}"))
        webhook.refresh_from_db()
        assert webhook.active is (n < tasks.DISABLE_AFTER_FAILURES - 1)

    assert "404" in webhook.disabled_reason
    publish(make_report(title="After"))
    assert len(httpserver.log) == tasks.DISABLE_AFTER_FAILURES


def test_one_success_resets_the_count(webhook, make_report, publish, httpserver):
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    for _ in range(tasks.DISABLE_AFTER_FAILURES - 1):
        httpserver.expect_ordered_request("/hook").respond_with_data("no", status=404)
    for n in range(tasks.DISABLE_AFTER_FAILURES):
        publish(make_report(title=f"Report {n}"))

    webhook.refresh_from_db()
    assert webhook.active


def test_a_report_withdrawn_before_delivery_is_not_sent(webhook, make_report, httpserver):
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.ARCHIVED)

    assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.FAILED
    assert httpserver.log == []


def test_a_slow_receiver_times_out_as_a_transient_failure(webhook, make_report, httpserver, monkeypatch):
    monkeypatch.setattr(tasks, "TIMEOUT_SECONDS", 0.2)

    def slow(request):
        import time

        time.sleep(0.6)
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)

    assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.QUEUED


def test_lost_retries_are_requeued(webhook, make_report, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, report=report, created_at=timezone.now() - timedelta(hours=1)
    )

    assert tasks.requeue_deliveries(queued_for=timedelta(minutes=30)) == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED


def test_a_receiver_that_redirects_is_not_followed_and_fails_for_good(
    webhook, make_report, publish, httpserver
):
    # A public receiver may redirect to the cloud's metadata service; the delivery stops at the 302.
    httpserver.expect_request("/hook").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    publish(make_report())

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.response_status) == (
        WebhookDelivery.State.FAILED,
        1,
        302,
    )
    assert "redirect" in delivery.error
    assert len(httpserver.log) == 1


def test_a_name_that_resolves_inside_our_network_at_delivery_is_refused(report_map, make_report, monkeypatch):
    # Saved while it pointed outside (or never checked); now it answers with the loopback address.
    webhook = Webhook.objects.create(report_map=report_map, url="https://rebound.example.org/hook")
    monkeypatch.setattr(
        http, "resolve", lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    )
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(webhook=webhook, report=report)

    assert tasks.deliver_webhook.call(delivery.pk) == WebhookDelivery.State.FAILED
    delivery.refresh_from_db()
    assert "not a public address" in delivery.error
