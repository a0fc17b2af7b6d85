"""Confirming a subscription: by the e-mailed link, or by the texted code typed on the page."""

# Fixtures are imported from other test modules and used as parameters.
# ruff: noqa: F401, F811

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from samen.reports import notify
from samen.reports.models import Subscription

from .test_notify_alerts import sms_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(report_map):
    def make(channel="email", address="amina@example.org"):
        return Subscription.objects.create(report_map=report_map, channel=channel, address=address)

    return make


def confirm_url(subscription):
    return reverse("reports:subscription_confirm", args=[subscription.report_map.slug, subscription.token])


def test_opening_the_link_asks_before_confirming(client, pending):
    # Mail scanners open links; only the button, a POST, may start the alerts.
    subscription = pending()
    response = client.get(confirm_url(subscription))

    assert response.status_code == 200
    assert "a•••@example.org" in response.content.decode()
    assert "amina@example.org" not in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_the_button_confirms_without_logging_in(client, pending):
    subscription = pending()
    response = client.post(confirm_url(subscription), follow=True)

    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    assert "Stop these alerts" in response.content.decode()


def test_a_new_confirmed_subscription_replaces_the_old_one_for_the_same_address(client, pending):
    old = pending()
    client.post(confirm_url(old))
    new = pending()
    client.post(confirm_url(new))

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.unsubscribed_at is not None
    assert new.confirmed_at is not None and new.unsubscribed_at is None


def test_a_link_expires(client, pending):
    subscription = pending()
    with time_machine.travel(timezone.now() + notify.CONFIRM_WITHIN + timedelta(minutes=1)):
        response = client.post(confirm_url(subscription))

    assert "expired" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_a_token_for_another_map_finds_nothing(client, pending, report_map, make_initiative):
    subscription = pending()
    other = report_map.__class__.objects.create(
        initiative=make_initiative(), slug="elsewhere", title="Elsewhere"
    )

    response = client.get(reverse("reports:subscription_confirm", args=[other.slug, subscription.token]))
    assert response.status_code == 404


def test_the_texted_code_confirms_an_sms_subscription(client, pending, sms_channel):
    subscription = pending("sms", "+254711000111")
    assert 'name="code"' in client.get(confirm_url(subscription)).content.decode()

    client.post(confirm_url(subscription), {"code": notify.sms_code(subscription)})

    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


def test_the_sms_confirm_button_alone_does_nothing(client, pending, sms_channel):
    subscription = pending("sms", "+254711000111")
    client.post(confirm_url(subscription), {})

    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_wrong_codes_are_counted_and_then_refused_for_good(client, pending, sms_channel):
    subscription = pending("sms", "+254711000111")
    right = notify.sms_code(subscription)
    wrong = str((int(right) + 1) % 10**notify.CODE_DIGITS).zfill(notify.CODE_DIGITS)

    response = client.post(confirm_url(subscription), {"code": wrong})
    assert "That code is not right" in response.content.decode()
    for _ in range(notify.MAX_CODE_ATTEMPTS - 1):
        client.post(confirm_url(subscription), {"code": wrong})
    response = client.post(confirm_url(subscription), {"code": right})

    subscription.refresh_from_db()
    assert subscription.confirm_attempts == notify.MAX_CODE_ATTEMPTS
    assert subscription.confirmed_at is None
    assert "typed wrong too often" in response.content.decode()


def test_codes_differ_between_subscriptions(pending, sms_channel):
    codes = {notify.sms_code(pending("sms", f"+25471100{n:04d}")) for n in range(20)}

    assert len(codes) > 15
    assert all(len(code) == notify.CODE_DIGITS and code.isdigit() for code in codes)
