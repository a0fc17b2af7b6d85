"""The coordinators' webhook pages: add an address, see the secret once, rotate it, switch off, resend."""

import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from samen.core import http
from samen.reports import notify
from samen.reports.models import Report, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_local(settings):
    settings.SAMEN_HTTP_ALLOWED_HOSTS = ["127.0.0.1"]


def list_url(report_map):
    return reverse("reports:webhooks", args=[report_map.slug])


def detail_url(webhook):
    return reverse("reports:webhook", args=[webhook.report_map.slug, webhook.pk])


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("team", 200), ("reviewer", 403), ("member", 403), ("outsider", 403)],
)
def test_only_coordinators_manage_webhooks(client_as, report_map, map_people, role, status):
    assert client_as(map_people[role]).get(list_url(report_map)).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, report_map):
    response = client.get(list_url(report_map))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_someone_elses_webhook_is_not_found(client_as, report_map, map_people, make_initiative):
    other_map = report_map.__class__.objects.create(initiative=make_initiative(), slug="other", title="Other")
    webhook = Webhook.objects.create(report_map=other_map, url="https://example.org/hook")

    response = client_as(map_people["coordinator"]).get(
        reverse("reports:webhook", args=[report_map.slug, webhook.pk])
    )
    assert response.status_code == 404


def test_adding_a_webhook_shows_its_secret_once(client_as, report_map, map_people):
    client = client_as(map_people["coordinator"])
    response = client.post(list_url(report_map), {"url": "https://receiver.example.org/samen"}, follow=True)

    webhook = Webhook.objects.get()
    assert webhook.url == "https://receiver.example.org/samen"
    assert webhook.secret.startswith("whsec_")
    assert webhook.secret in response.content.decode()
    again = client.get(detail_url(webhook)).content.decode()
    assert webhook.secret not in again
    assert notify.secret_hint(webhook) in again


def test_rotating_makes_a_new_secret_and_shows_it_once(client_as, report_map, map_people):
    webhook = Webhook.objects.create(
        report_map=report_map, url="https://example.org/hook", secret="whsec_old"
    )
    client = client_as(map_people["coordinator"])

    response = client.post(reverse("reports:webhook_rotate", args=[report_map.slug, webhook.pk]), follow=True)

    webhook.refresh_from_db()
    assert webhook.secret != "whsec_old"
    assert webhook.secret in response.content.decode()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("ftp://example.org/hook", "Use an http:// or https:// address"),
        ("http://127.0.0.1:8000/hook", "own network"),
        ("http://localhost/hook", "own network"),
        ("http://10.0.0.5/hook", "own network"),
        ("http://[::ffff:169.254.169.254]/hook", "own network"),
        ("http://metadata.google.internal/computeMetadata/v1/", "own network"),
    ],
)
def test_bad_or_internal_addresses_are_refused(client_as, report_map, map_people, address, message):
    response = client_as(map_people["coordinator"]).post(list_url(report_map), {"url": address})

    assert message in response.content.decode()
    assert f'value="{address}"' in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1"])
def test_a_name_that_resolves_inside_our_network_is_refused(
    client_as, report_map, map_people, monkeypatch, address
):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(
        http, "resolve", lambda host, port: [(family, socket.SOCK_STREAM, 6, "", (address, port))]
    )
    response = client_as(map_people["coordinator"]).post(
        list_url(report_map), {"url": "https://innocent.example.org/hook"}
    )

    assert "own network" in response.content.decode()
    assert not Webhook.objects.exists()


def test_internal_addresses_are_allowed_when_the_settings_say_so(
    client_as, report_map, map_people, allow_local
):
    client_as(map_people["coordinator"]).post(list_url(report_map), {"url": "http://127.0.0.1:8000/hook"})

    assert Webhook.objects.get().url == "http://127.0.0.1:8000/hook"


def test_switching_off_and_on(client_as, report_map, map_people):
    webhook = Webhook.objects.create(report_map=report_map, url="https://example.org/hook")
    client = client_as(map_people["coordinator"])
    switch = reverse("reports:webhook_switch", args=[report_map.slug, webhook.pk])

    client.post(switch)
    webhook.refresh_from_db()
    assert not webhook.active
    assert "Olga Owner" in webhook.disabled_reason
    client.post(switch)
    webhook.refresh_from_db()
    assert webhook.active and webhook.disabled_reason == ""


def test_removing(client_as, report_map, map_people):
    webhook = Webhook.objects.create(report_map=report_map, url="https://example.org/hook")
    client_as(map_people["coordinator"]).post(
        reverse("reports:webhook_delete", args=[report_map.slug, webhook.pk])
    )

    assert not Webhook.objects.exists()


def test_the_page_lists_recent_deliveries_and_resends_a_failed_one(
    client_as, report_map, map_people, make_report, httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = Webhook.objects.create(report_map=report_map, url=httpserver.url_for("/hook"))
    report = make_report(title="Tap broken", status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, report=report, state=WebhookDelivery.State.FAILED, attempts=5, error="answered 500"
    )
    client = client_as(map_people["coordinator"])

    page = client.get(detail_url(webhook)).content.decode()
    assert "Tap broken" in page
    assert "answered 500" in page
    assert page.count("<h1") == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:webhook_resend", args=[report_map.slug, webhook.pk, delivery.pk]))

    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert len(httpserver.log) == 1


def test_a_delivered_one_is_not_sent_again(client_as, report_map, map_people, make_report):
    webhook = Webhook.objects.create(report_map=report_map, url="https://example.org/hook")
    report = make_report(status=Report.Status.PUBLISHED, published_at=timezone.now())
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, report=report, state=WebhookDelivery.State.DELIVERED
    )

    client_as(map_people["coordinator"]).post(
        reverse("reports:webhook_resend", args=[report_map.slug, webhook.pk, delivery.pk])
    )
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
