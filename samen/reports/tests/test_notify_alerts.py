"""Alerts to subscribers when a report is published: who gets one, by which channel, and only once."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from samen.messaging.gateways import register, unregister
from samen.messaging.models import Channel, OutboundMessage
from samen.messaging.tests.fakes import ScriptedGateway, script
from samen.reports import notify, tasks
from samen.reports.models import Report, ReportMap, Subscription
from samen.reports.signals import report_published

pytestmark = pytest.mark.django_db

INSIDE = {"latitude": Decimal("-1.3130"), "longitude": Decimal("36.7870")}
AREA = {
    "south": Decimal("-1.32"),
    "west": Decimal("36.78"),
    "north": Decimal("-1.30"),
    "east": Decimal("36.80"),
}


@pytest.fixture
def sms_channel(report_map):
    """A fake SMS gateway, configured with the map's number."""
    register("fake-sms")(ScriptedGateway)
    script()
    channel = Channel.objects.create(
        kind="fake-sms", name="Kibera SMS", config={"number": report_map.sms_number}
    )
    yield channel
    unregister("fake-sms")
    script()


@pytest.fixture
def subscribe(report_map):
    counter = iter(range(1, 1000))

    def make(channel="email", address=None, categories=(), confirmed=True, **fields):
        n = next(counter)
        if address is None:
            address = f"subscriber{n}@example.org" if channel == "email" else f"+25471100{n:04d}"
        subscription = Subscription.objects.create(
            report_map=fields.pop("report_map", report_map),
            channel=channel,
            address=address,
            confirmed_at=timezone.now() if confirmed else None,
            **fields,
        )
        subscription.categories.set(categories)
        return subscription

    return make


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish as the review actions do: status and time, then the signal after commit."""

    def do(report):
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.PUBLISHED, published_at=timezone.now()
        )
        with django_capture_on_commit_callbacks(execute=True):
            report_published.send(sender=Report, report_id=report.pk)
        report.refresh_from_db()
        return report

    return do


def alerts_for(report) -> dict[str, OutboundMessage]:
    return {
        message.to: message
        for message in OutboundMessage.objects.filter(idempotency_key__startswith=f"report:{report.pk}:sub:")
    }


def test_a_published_report_reaches_a_whole_map_subscriber_by_email(make_report, subscribe, publish):
    subscription = subscribe(address="amina@example.org")
    report = publish(make_report(title="Tap broken at Olympic school", **INSIDE))

    message = alerts_for(report)["amina@example.org"]
    assert message.idempotency_key == f"report:{report.pk}:sub:{subscription.pk}"
    assert message.state == OutboundMessage.State.SENT
    [sent] = mail.outbox
    assert "Tap broken at Olympic school" in sent.subject
    assert notify.unsubscribe_url(subscription) in sent.body
    assert notify.unsubscribe_url(subscription) in sent.alternatives[0].content


def test_the_alert_carries_the_scrubbed_text_never_the_reporters_contact(make_report, subscribe, publish):
    subscribe()
    publish(make_report(description="Broken. Call me on +254 712 345 678.", reporter_contact="+254712345678"))

    [sent] = mail.outbox
    text = sent.body + sent.alternatives[0].content
    assert "712" not in text
    assert "Broken." in text


def test_unconfirmed_and_unsubscribed_subscriptions_get_nothing(make_report, subscribe, publish):
    subscribe(address="pending@example.org", confirmed=False)
    subscribe(address="gone@example.org", unsubscribed_at=timezone.now())
    subscribe(address="active@example.org")

    report = publish(make_report(**INSIDE))

    assert set(alerts_for(report)) == {"active@example.org"}


def test_an_area_subscription_gets_reports_inside_it_only(make_report, subscribe, publish):
    subscribe(address="area@example.org", **AREA)
    inside = publish(make_report(**INSIDE))
    outside = publish(make_report(title="Far away", latitude=Decimal("-4.05"), longitude=Decimal("39.66")))
    nowhere = publish(make_report(title="No place yet", latitude=None, longitude=None))

    assert set(alerts_for(inside)) == {"area@example.org"}
    assert alerts_for(outside) == {}
    assert alerts_for(nowhere) == {}


def test_the_edges_of_the_area_count_as_inside(make_report, subscribe, publish):
    subscribe(address="edge@example.org", **AREA)
    report = publish(make_report(latitude=AREA["north"], longitude=AREA["west"]))

    assert set(alerts_for(report)) == {"edge@example.org"}


def test_a_category_subscription_gets_its_category_and_the_ones_under_it(
    make_report, categories, subscribe, publish
):
    subscribe(address="urgent@example.org", categories=[categories["urgent"]])
    subscribe(address="unsafe@example.org", categories=[categories["unsafe"]])
    subscribe(address="everything@example.org")

    child = make_report(title="Broken pump")
    child.categories.set([categories["broken"]])
    publish(child)

    assert set(alerts_for(child)) == {"urgent@example.org", "everything@example.org"}


def test_a_child_category_subscription_does_not_get_the_parent(make_report, categories, subscribe, publish):
    subscribe(address="broken@example.org", categories=[categories["broken"]])
    parent_only = make_report()
    parent_only.categories.set([categories["urgent"]])

    assert alerts_for(publish(parent_only)) == {}


def test_area_and_categories_must_both_match(make_report, categories, subscribe, publish):
    subscribe(address="both@example.org", categories=[categories["unsafe"]], **AREA)
    right_place_wrong_category = make_report(**INSIDE)
    right_place_wrong_category.categories.set([categories["urgent"]])
    both = make_report(**INSIDE)
    both.categories.set([categories["unsafe"]])

    assert alerts_for(publish(right_place_wrong_category)) == {}
    assert set(alerts_for(publish(both))) == {"both@example.org"}


def test_sms_subscribers_get_a_short_text_through_the_maps_gateway(
    make_report, subscribe, publish, sms_channel
):
    subscription = subscribe(channel="sms", address="+254711000111")
    report = publish(make_report(title="Tap broken", **INSIDE))

    message = alerts_for(report)["+254711000111"]
    assert message.gateway == "fake-sms"
    assert message.channel == sms_channel
    assert message.state == OutboundMessage.State.SENT
    assert ScriptedGateway.sent == [message.pk]
    assert "Tap broken" in message.body
    assert notify.unsubscribe_url(subscription) in message.body
    assert "STOP" in message.body


def test_publishing_twice_or_running_the_task_again_sends_nothing_new(make_report, subscribe, publish):
    subscribe(address="once@example.org")
    report = publish(make_report(**INSIDE))
    publish(report)
    tasks.notify_subscribers.call(report.pk)

    assert OutboundMessage.objects.filter(to="once@example.org").count() == 1
    assert len(mail.outbox) == 1


def test_a_report_unpublished_before_the_task_runs_is_not_sent(make_report, subscribe):
    subscribe(address="late@example.org")
    report = make_report(status=Report.Status.ARCHIVED, **INSIDE)

    assert tasks.notify_subscribers.call(report.pk) == 0
    assert alerts_for(report) == {}


def test_subscriptions_to_another_map_get_nothing(make_report, report_map, subscribe, publish):
    other = ReportMap.objects.create(initiative=report_map.initiative, slug="other-map", title="Other")
    subscribe(address="other@example.org", report_map=other)

    assert alerts_for(publish(make_report(**INSIDE))) == {}


def test_a_private_maps_reports_go_only_to_its_team(make_report, report_map, subscribe, publish, map_people):
    subscribe(address="public@example.org")
    subscribe(address="member@example.org", member=map_people["member"])
    subscribe(address="reviewer@example.org", member=map_people["reviewer"])
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)

    assert set(alerts_for(publish(make_report(**INSIDE)))) == {"reviewer@example.org"}


def test_each_alert_is_in_the_subscribers_language(make_report, subscribe, publish):
    subscribe(address="nl@example.org", language="nl")
    subscribe(address="en@example.org", language="en")
    publish(make_report(**INSIDE))

    by_address = {message.to[0]: message for message in mail.outbox}
    assert "Read it online" in by_address["en@example.org"].body
    assert "Read it online" not in by_address["nl@example.org"].body


def test_the_match_costs_the_same_few_queries_for_many_subscribers(
    make_report, categories, subscribe, django_assert_max_num_queries
):
    for _ in range(30):
        subscribe(categories=[categories["urgent"]], **AREA)
    report = make_report(status=Report.Status.PUBLISHED, **INSIDE)
    report.categories.set([categories["broken"]])

    with django_assert_max_num_queries(3):
        assert len(list(notify.matching_subscriptions(report))) == 30
