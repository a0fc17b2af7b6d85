"""Stopping alerts: the link in every message works at once, without logging in; so does STOP by SMS."""

# Fixtures are imported from other test modules and used as parameters.
# ruff: noqa: F401, F811

import pytest
from django.urls import reverse
from django.utils import timezone

from samen.messaging import router
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage, OutboundMessage
from samen.reports import notify
from samen.reports.models import Subscription

from .test_notify_alerts import sms_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(report_map):
    def make(channel="email", address="amina@example.org", report_map=report_map):
        return Subscription.objects.create(
            report_map=report_map, channel=channel, address=address, confirmed_at=timezone.now()
        )

    return make


def stop_url(subscription):
    return reverse("reports:unsubscribe", args=[subscription.report_map.slug, subscription.token])


def test_opening_the_link_stops_the_alerts_at_once(client, active):
    subscription = active()
    response = client.get(stop_url(subscription))

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "amina@example.org" not in page


def test_mail_clients_one_click_post_stops_them_too(client, active):
    subscription = active()
    client.post(stop_url(subscription))

    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_a_mistaken_unsubscribe_can_be_undone(client, active):
    subscription = active()
    client.get(stop_url(subscription))
    client.post(reverse("reports:resubscribe", args=[subscription.report_map.slug, subscription.token]))

    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None


def test_an_unconfirmed_subscription_cannot_be_brought_back_by_resubscribing(client, report_map):
    subscription = Subscription.objects.create(
        report_map=report_map, channel="email", address="x@example.org"
    )
    client.get(stop_url(subscription))
    client.post(reverse("reports:resubscribe", args=[report_map.slug, subscription.token]))

    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert subscription.confirmed_at is None


def test_an_unknown_token_is_a_404(client, report_map):
    assert (
        client.get(reverse("reports:unsubscribe", args=[report_map.slug, "not-a-token"])).status_code == 404
    )


def test_reports_handles_stop_while_no_other_app_does():
    assert "STOP" in router.registered_keywords()
    router.unregister_keyword("STOP")
    try:
        notify.register_stop_keyword()
        assert "STOP" in router.registered_keywords()
        notify.register_stop_keyword()  # ready() may run again: harmless
    finally:
        notify.register_stop_keyword()


def test_reports_leaves_stop_to_another_app_that_claims_it():
    seen = []

    router.unregister_keyword("STOP")
    router.register_keyword("STOP", lambda message, rest: seen.append(message.sender))
    try:
        notify.register_stop_keyword()  # neither raises nor takes it over
        receive("smssync", "stop-elsewhere", sender="+254711000111", body="STOP", raw="STOP")
        assert seen == ["+254711000111"]
    finally:
        router.unregister_keyword("STOP")
        notify.register_stop_keyword()


def test_stop_by_sms_ends_every_sms_subscription_of_that_number_and_says_so(active, sms_channel):
    first = active("sms", "+254711000111")
    email = active("email", "amina@example.org")
    other_number = active("sms", "+254711000222")

    message, _ = receive(
        "fake-sms", "msg-1", sender="+254711000111", body="stop", raw="stop", channel=sms_channel
    )

    for subscription in (first, email, other_number):
        subscription.refresh_from_db()
    assert first.unsubscribed_at is not None
    assert email.unsubscribed_at is None
    assert other_number.unsubscribed_at is None
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ANSWERED
    reply = OutboundMessage.objects.get(in_reply_to=message)
    assert reply.to == "+254711000111"
    assert reply.gateway == "fake-sms"


def test_stop_matches_numbers_sent_without_a_plus(active):
    subscription = active("sms", "+254711000111")

    assert notify.stop_number("254711000111") == 1
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
