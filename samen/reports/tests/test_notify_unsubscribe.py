"""Stopping alerts: the link in every message works at once, without logging in; so does STOP by SMS."""

# Fixtures are imported from other test modules and used as parameters.
# ruff: noqa: F401, F811

import pytest
from django.urls import reverse
from django.utils import timezone

from samen.messaging import optout
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage, OutboundMessage
from samen.reports import notify
from samen.reports.models import ReportMap, Subscription

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


def test_stop_by_sms_ends_every_sms_subscription_of_that_number_and_is_answered_once(
    active, sms_channel, django_capture_on_commit_callbacks
):
    first = active("sms", "+254711000111")
    email = active("email", "amina@example.org")
    other_number = active("sms", "+254711000222")

    with django_capture_on_commit_callbacks(execute=True):
        message, _ = receive(
            "fake-sms", "msg-1", sender="+254711000111", body="stop", raw="stop", channel=sms_channel
        )
        # The phone retries: the same message again changes nothing and answers nothing.
        receive("fake-sms", "msg-1", sender="+254711000111", body="stop", raw="stop", channel=sms_channel)

    for subscription in (first, email, other_number):
        subscription.refresh_from_db()
    assert first.unsubscribed_at is not None
    assert email.unsubscribed_at is None
    assert other_number.unsubscribed_at is None
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ANSWERED
    # Messaging answers STOP for every feature, through the gateway the word came in on.
    reply = OutboundMessage.objects.get(in_reply_to=message)
    assert (reply.to, reply.gateway, reply.channel) == ("+254711000111", "fake-sms", sms_channel)
    assert reply.state == OutboundMessage.State.SENT


def test_stop_by_sms_ends_subscriptions_on_every_map(
    active, report_map, sms_channel, django_capture_on_commit_callbacks
):
    other_map = ReportMap.objects.create(
        initiative=report_map.initiative, slug="kibera-floods", title="Floods in Kibera"
    )
    here = active("sms", "+254711000111")
    elsewhere = active("sms", "+254711000111", report_map=other_map)

    with django_capture_on_commit_callbacks(execute=True):
        receive("fake-sms", "msg-1", sender="254711000111", body="QUIT", raw="QUIT", channel=sms_channel)

    for subscription in (here, elsewhere):
        subscription.refresh_from_db()
        assert subscription.unsubscribed_at is not None


def test_an_e_mail_opt_out_ends_that_addresses_e_mail_subscriptions(active):
    subscription = active("email", "amina@example.org")
    other = active("email", "baraka@example.org")

    optout.opt_out("Amina@Example.org", medium="email", via="test")

    subscription.refresh_from_db()
    other.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert other.unsubscribed_at is None


def test_a_stopped_number_gets_no_report_alert_even_from_a_subscription_made_before(
    active, sms_channel, make_report, django_capture_on_commit_callbacks
):
    subscription = active("sms", "+254711000111")
    optout.opt_out("+254711000111", medium="sms")
    # Even if the subscription were somehow still active, the outbox would refuse the alert.
    Subscription.objects.filter(pk=subscription.pk).update(unsubscribed_at=None)
    subscription.refresh_from_db()
    report = make_report()

    with django_capture_on_commit_callbacks(execute=True):
        assert notify.notify(report, subscription, sms_channel=sms_channel) is True

    alert = OutboundMessage.objects.get(idempotency_key=notify.notification_key(report.pk, subscription.pk))
    assert alert.state == OutboundMessage.State.SUPPRESSED


def test_stop_matches_numbers_sent_without_a_plus(active):
    subscription = active("sms", "+254711000111")

    assert notify.stop_number("254711000111") == 1
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
