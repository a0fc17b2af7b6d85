"""The subscribe page: anyone may ask for alerts; nothing is sent before the address is confirmed."""

# Fixtures are imported from other test modules and used as parameters.
# ruff: noqa: F401, F811

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from samen.messaging.models import OutboundMessage
from samen.messaging.tests.fakes import ScriptedGateway
from samen.reports import notify
from samen.reports.models import ReportMap, Subscription

from .test_notify_alerts import sms_channel

pytestmark = pytest.mark.django_db


def url(report_map, **query):
    base = reverse("reports:subscribe", args=[report_map.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_anyone_can_subscribe_by_email_and_gets_a_confirmation_link_only(
    client, report_map, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(report_map), {"channel": "email", "address": " Amina@Example.org "})

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:subscribe_sent", args=[report_map.slug])
    subscription = Subscription.objects.get()
    assert subscription.address == "amina@example.org"
    assert subscription.confirmed_at is None
    assert subscription.member is None
    [sent] = mail.outbox
    assert sent.to == ["amina@example.org"]
    assert notify.confirm_url(subscription) in sent.body
    # The page after subscribing does not give away the confirmation link.
    page = client.get(response["Location"]).content.decode()
    assert subscription.token not in page


def test_the_page_offers_sms_only_when_the_map_can_send_it(client, report_map, sms_channel):
    page = client.get(url(report_map)).content.decode()
    assert 'value="sms"' in page

    sms_channel.enabled = False
    sms_channel.save()
    page = client.get(url(report_map)).content.decode()
    assert 'value="sms"' not in page
    response = client.post(url(report_map), {"channel": "sms", "address": "+254711000111"})
    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_an_sms_subscription_texts_a_code_and_opens_the_code_page(
    client,
    report_map,
    sms_channel,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(report_map), {"channel": "sms", "address": "+254 711 000 111"})

    subscription = Subscription.objects.get()
    assert subscription.address == "+254711000111"
    assert response["Location"] == reverse(
        "reports:subscription_confirm", args=[report_map.slug, subscription.token]
    )
    message = OutboundMessage.objects.get(to="+254711000111")
    assert notify.sms_code(subscription) in message.body
    assert ScriptedGateway.sent == [message.pk]


def test_a_phone_number_without_country_code_is_refused_and_the_form_keeps_what_was_typed(
    client,
    report_map,
    sms_channel,
):
    response = client.post(url(report_map), {"channel": "sms", "address": "0711000111", "south": "-1.32"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "country code" in page
    assert 'value="0711000111"' in page
    assert 'value="-1.32"' in page
    assert not Subscription.objects.exists()


def test_a_bad_email_address_gets_a_clear_message(client, report_map):
    response = client.post(url(report_map), {"channel": "email", "address": "amina at example"})

    assert "Enter a valid e-mail address" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_map_pages_current_view_fills_in_the_area(client, report_map):
    page = client.get(url(report_map, bbox="-1.32,36.78,-1.30,36.80")).content.decode()

    for value in ("-1.32", "36.78", "-1.3", "36.8"):
        assert f'value="{value}"' in page


def test_a_broken_bbox_in_the_address_is_ignored(client, report_map):
    response = client.get(url(report_map, bbox="nonsense"))

    assert response.status_code == 200


def test_the_area_and_categories_are_stored(client, report_map, categories):
    client.post(
        url(report_map),
        {
            "channel": "email",
            "address": "amina@example.org",
            "categories": [categories["urgent"].pk],
            "south": "-1.32",
            "west": "36.78",
            "north": "-1.30",
            "east": "36.80",
        },
    )

    subscription = Subscription.objects.get()
    assert (subscription.south, subscription.west, subscription.north, subscription.east) == (
        Decimal("-1.32"),
        Decimal("36.78"),
        Decimal("-1.30"),
        Decimal("36.80"),
    )
    assert list(subscription.categories.all()) == [categories["urgent"]]


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ({"south": "-1.32"}, "Give all four edges"),
        ({"south": "-1.30", "west": "36.78", "north": "-1.32", "east": "36.80"}, "south edge"),
        ({"south": "-91", "west": "36.78", "north": "-1.30", "east": "36.80"}, "between -90 and 90"),
    ],
)
def test_a_bad_area_is_refused_with_a_reason(client, report_map, edges, message):
    response = client.post(url(report_map), {"channel": "email", "address": "amina@example.org", **edges})

    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_signed_in_member_finds_their_address_filled_in_and_owns_the_subscription(
    client_as, report_map, member
):
    client = client_as(member)
    assert f'value="{member.email}"' in client.get(url(report_map)).content.decode()

    client.post(url(report_map), {"channel": "email", "address": member.email})
    assert Subscription.objects.get().member == member


def test_too_many_requests_for_one_address_are_refused(
    client, report_map, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(notify.MAX_REQUESTS_PER_ADDRESS):
            client.post(url(report_map), {"channel": "email", "address": "victim@example.org"})
        response = client.post(url(report_map), {"channel": "email", "address": "victim@example.org"})

    assert "try again tomorrow" in response.content.decode()
    assert Subscription.objects.count() == notify.MAX_REQUESTS_PER_ADDRESS
    assert len(mail.outbox) == notify.MAX_REQUESTS_PER_ADDRESS


@pytest.mark.parametrize("role", ["member", "outsider", "anonymous"])
def test_a_private_map_cannot_be_subscribed_to_from_outside(client_as, report_map, map_people, role):
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)

    assert client_as(map_people[role]).get(url(report_map)).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "reviewer"])
def test_a_private_maps_team_can_subscribe(client_as, report_map, map_people, role):
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)

    assert client_as(map_people[role]).get(url(report_map)).status_code == 200


def test_the_page_has_one_heading_and_a_way_back(client, report_map):
    page = client.get(url(report_map)).content.decode()

    assert page.count("<h1") == 1
    assert f'href="{report_map.get_absolute_url()}"' in page


def test_a_number_that_said_stop_is_told_why_instead_of_waiting_for_a_code(
    client, report_map, sms_channel, django_capture_on_commit_callbacks
):
    from samen.messaging import optout

    optout.opt_out("+254711000111", medium="sms")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(report_map), {"channel": "sms", "address": "+254711000111"})

    assert "Text START" in response.content.decode()
    assert not Subscription.objects.exists()
    assert not OutboundMessage.objects.filter(to="+254711000111").exists()
