"""The coordinators' inbox of messages that match no map: who sees them, and what they can do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samen.initiatives.models import TeamMember
from samen.messaging.inbox import receive
from samen.messaging.models import Channel, InboundMessage, InboundMessageChange, OutboundMessage
from samen.people.models import Member
from samen.reports.models import Report, ReportChange, ReportMap

pytestmark = pytest.mark.django_db

INBOX = "/maps/inbox/"
SENDER = "+254712000111"


@pytest.fixture
def phone(db):
    return Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")


@pytest.fixture
def arrive(phone, django_capture_on_commit_callbacks):
    """A text arrives and is routed, as the gateway and the routing task do it."""
    counter = iter(range(1, 1000))

    def text(body, *, to="+254700000001", channel=phone, sender=SENDER):
        with django_capture_on_commit_callbacks(execute=True):
            message, _created = receive(
                "smssync",
                f"inbox-{next(counter)}",
                sender=sender,
                body=body,
                recipient=to,
                raw="{}",
                channel=channel,
            )
        message.refresh_from_db()
        return message

    return text


@pytest.fixture
def waiting(report_map, arrive):
    """A bare keyword to the map's own number: nothing to report, so it waits for a person."""
    message = arrive("MAJI")
    assert message.is_unmatched
    return message


@pytest.fixture
def staff(db):
    return Member.objects.create_user(email="sam@example.org", password="x", name="Sam Staff", is_staff=True)


def assign_url(message):
    return reverse("reports:inbox_assign", args=[message.pk])


def discard_url(message):
    return reverse("reports:inbox_discard", args=[message.pk])


@pytest.mark.parametrize("role", ["coordinator", "team", "reviewer"])
def test_the_maps_coordinators_see_a_waiting_message_with_its_sender(map_people, waiting, client_as, role):
    response = client_as(map_people[role]).get(INBOX)
    assert response.status_code == 200
    assert SENDER in response.content.decode()
    assert [item["message"] for item in response.context["items"]] == [waiting]


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_members_and_outsiders_have_no_inbox(map_people, waiting, client_as, role):
    client = client_as(map_people[role])
    assert client.get(INBOX).status_code == 404
    assert client.post(assign_url(waiting), {f"m{waiting.pk}-report_map": 1}).status_code == 404
    assert client.post(discard_url(waiting)).status_code == 404
    waiting.refresh_from_db()
    assert waiting.is_unmatched
    assert not InboundMessageChange.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(waiting, client, report_map):
    assert client.get(INBOX).status_code == 302
    response = client.post(assign_url(waiting), {f"m{waiting.pk}-report_map": report_map.pk})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post(discard_url(waiting)).status_code == 302
    waiting.refresh_from_db()
    assert waiting.is_unmatched
    assert Report.objects.count() == 0


@pytest.fixture
def other_coordinator(make_initiative, outsider):
    """The outsider runs a map of their own, on another initiative and another number."""
    initiative = make_initiative(title="Roads in Mathare", slug="roads-mathare")
    TeamMember.objects.create(initiative=initiative, member=outsider, role=TeamMember.Role.OWNER)
    return ReportMap.objects.create(
        initiative=initiative, slug="roads", title="Roads", channels=["sms"], sms_number="+254733000000"
    )


def test_a_coordinator_of_an_unrelated_map_sees_nothing_and_can_do_nothing(
    waiting, other_coordinator, outsider, client_as
):
    client = client_as(outsider)
    response = client.get(INBOX)
    assert response.status_code == 200
    assert response.context["items"] == []
    assert SENDER not in response.content.decode()
    response = client.post(assign_url(waiting), {f"m{waiting.pk}-report_map": other_coordinator.pk})
    assert response.status_code == 404
    assert client.post(discard_url(waiting)).status_code == 404
    waiting.refresh_from_db()
    assert waiting.is_unmatched


def test_staff_see_every_waiting_message(staff, arrive, client_as):
    message = arrive("hello, who is this", to="+254799999999")
    assert message.is_unmatched
    response = client_as(staff).get(INBOX)
    assert [item["message"] for item in response.context["items"]] == [message]


def test_a_message_on_a_shared_channel_reaches_the_maps_that_took_texts_from_it(
    initiative, report_map, arrive, client_as, map_people, other_coordinator, outsider
):
    shared = Channel.objects.create(kind="smssync", name="Shared phone", secret="s")
    arrive("MAJI tap broken at the school", to="+254788000000", channel=shared)
    assert Report.objects.get().report_map == report_map
    unmatched = arrive("is anyone reading this", to="+254788000000", channel=shared)
    assert unmatched.is_unmatched
    coordinator = client_as(map_people["coordinator"]).get(INBOX)
    assert [item["message"] for item in coordinator.context["items"]] == [unmatched]
    # The roads map never took a text through that phone: its coordinator does not see it.
    assert client_as(outsider).get(INBOX).context["items"] == []


def test_routed_messages_never_show_in_the_inbox(report_map, arrive, client_as, map_people):
    arrive("MAJI tap broken at the school")
    assert Report.objects.count() == 1
    assert client_as(map_people["coordinator"]).get(INBOX).context["items"] == []


def test_assigning_makes_one_report_in_the_review_queue_however_often_it_is_sent(
    report_map, arrive, client_as, map_people
):
    # The map takes no SMS at the moment, so a text to its number waits for a person.
    report_map.channels = ["web"]
    report_map.save()
    message = arrive("maji: the tap at the clinic is dry")
    assert message.is_unmatched
    coordinator = map_people["coordinator"]
    client = client_as(coordinator)
    data = {f"m{message.pk}-report_map": report_map.pk, f"m{message.pk}-title": ""}

    first = client.post(assign_url(message), data, follow=True)
    second = client.post(assign_url(message), data, follow=True)

    report = Report.objects.get()
    assert report.report_map == report_map
    assert report.description == "the tap at the clinic is dry"
    assert report.title == "the tap at the clinic is dry"
    assert report.reporter_contact == SENDER
    assert report.inbound_id == message.pk
    assert report.created_by == coordinator
    assert ReportChange.objects.get(report=report).actor == coordinator
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ROUTED
    assert message.owner == coordinator
    change = InboundMessageChange.objects.get()
    assert (change.actor, change.action) == (coordinator, "assigned")
    assert change.changes["report"] == [None, report.pk]
    assert f"report #{report.pk}" in first.content.decode()
    assert "already handled" in second.content.decode()
    # The map's automatic reply goes back once.
    assert OutboundMessage.objects.filter(to=SENDER).count() == 1
    queue = client.get(reverse("reports:review", args=[report_map.slug]))
    assert [r.pk for r in queue.context["reports"]] == [report.pk]


def test_a_coordinator_can_write_the_title(waiting, report_map, client_as, map_people):
    client_as(map_people["team"]).post(
        assign_url(waiting),
        {f"m{waiting.pk}-report_map": report_map.pk, f"m{waiting.pk}-title": "Keyword only"},
    )
    assert Report.objects.get().title == "Keyword only"


def test_a_message_goes_only_to_a_map_the_coordinator_coordinates(
    waiting, other_coordinator, client_as, map_people
):
    response = client_as(map_people["reviewer"]).post(
        assign_url(waiting), {f"m{waiting.pk}-report_map": other_coordinator.pk}, follow=True
    )
    assert "Choose one of the maps you coordinate." in response.content.decode()
    assert Report.objects.count() == 0
    waiting.refresh_from_db()
    assert waiting.is_unmatched


def test_discarding_keeps_the_message_and_logs_who_did_it(waiting, client_as, map_people):
    owner = map_people["coordinator"]
    client = client_as(owner)
    client.post(discard_url(waiting))
    client.post(discard_url(waiting))
    waiting.refresh_from_db()
    assert waiting.state == InboundMessage.State.DISCARDED
    assert waiting.body == "MAJI"
    assert InboundMessageChange.objects.get().actor == owner
    page = client.get(INBOX)
    assert page.context["items"] == []
    assert "discarded message" in page.content.decode()

    client.post(reverse("reports:inbox_put_back", args=[waiting.pk]))
    waiting.refresh_from_db()
    assert waiting.is_unmatched
    assert list(InboundMessageChange.objects.order_by("pk").values_list("action", flat=True)) == [
        "discarded",
        "put_back",
    ]


def test_a_discarded_message_cannot_then_be_assigned(waiting, report_map, client_as, map_people):
    client = client_as(map_people["coordinator"])
    client.post(discard_url(waiting))
    client.post(assign_url(waiting), {f"m{waiting.pk}-report_map": report_map.pk})
    assert Report.objects.count() == 0


def test_the_actions_take_only_post(waiting, client_as, map_people):
    client = client_as(map_people["coordinator"])
    assert client.get(assign_url(waiting)).status_code == 405
    assert client.get(discard_url(waiting)).status_code == 405


def test_the_count_shows_on_the_review_queue_and_the_map_management_pages(
    waiting, report_map, client_as, map_people
):
    client = client_as(map_people["coordinator"])
    queue = client.get(reverse("reports:review", args=[report_map.slug])).content.decode()
    assert "1 message matched no map." in queue
    settings_page = client.get(reverse("reports:manage", args=[report_map.slug])).content.decode()
    assert "1 message needs a map" in settings_page
    # Nobody else is told.
    other = (
        client_as(map_people["member"]).get(reverse("reports:map", args=[report_map.slug])).content.decode()
    )
    assert "needs a map" not in other


def test_an_email_to_the_maps_address_waits_when_the_map_takes_no_email(
    report_map, client_as, map_people, django_capture_on_commit_callbacks
):
    report_map.channels = ["web"]
    report_map.save()
    mail = Channel.objects.create(kind="email", name="Mail", secret="")
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = receive(
            "email",
            "<abc@example.org>",
            sender="ann@example.org",
            body="The well is dry",
            recipient="Reports <reports@samen.example>, other@example.org",
            subject="Dry well",
            raw="{}",
            channel=mail,
        )
    message.refresh_from_db()
    assert message.is_unmatched
    response = client_as(map_people["reviewer"]).get(INBOX)
    assert [item["message"] for item in response.context["items"]] == [message]


def test_the_inbox_page_makes_as_many_queries_for_twenty_messages_as_for_two(
    report_map, client_as, map_people
):
    def page_queries(count):
        InboundMessage.objects.bulk_create(
            InboundMessage(
                gateway="smssync",
                idempotency_key=f"smssync:many-{count}-{n}",
                sender=f"+25471200{n:04d}",
                recipient="+254700000001",
                body=f"message {n}",
                raw="{}",
                unmatched_at=timezone.now(),
            )
            for n in range(count)
        )
        client = client_as(map_people["team"])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INBOX).status_code == 200
        InboundMessage.objects.all().delete()
        return len(queries)

    assert page_queries(20) == page_queries(2)
