"""Which map a text goes to: a map's own number first, whatever the first word; keywords cut cleanly."""

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage
from samen.messaging.tests.payloads import form
from samen.reports.intake import split_keyword, text_after_keyword
from samen.reports.models import Report, ReportMap

pytestmark = pytest.mark.django_db

SHARED_NUMBER = "+254799999999"


@pytest.fixture
def smssync_url(db):
    channel = Channel.objects.create(kind="smssync", name="Shared phone", secret="smssync-secret")
    return reverse("gateways:smssync", args=[channel.pk])


@pytest.fixture
def flood_map(initiative):
    """A second map that has only a keyword, for texts to a shared number."""
    return ReportMap.objects.create(
        initiative=initiative, slug="floods", title="Floods", channels=["sms"], sms_keyword="FLOOD"
    )


@pytest.fixture
def sms(smssync_url, django_capture_on_commit_callbacks):
    counter = iter(range(1, 1000))

    def post(message, sent_to=SHARED_NUMBER):
        fields = {"message": message, "sent_to": sent_to, "message_id": f"routing-{next(counter)}"}
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(smssync_url, data={**form("smssync_incoming.form"), **fields})
        return InboundMessage.objects.order_by("-pk").first()

    return post


def test_a_text_to_a_maps_own_number_goes_there_even_with_another_maps_keyword(report_map, flood_map, sms):
    message = sms("FLOOD water rising near the school", sent_to="+254700000001")
    report = Report.objects.get()
    assert report.report_map == report_map
    # The word is the reporter's, not a keyword of this map: the text keeps it.
    assert report.description == "FLOOD water rising near the school"
    assert message.route == "reports.intake"


def test_a_text_to_a_maps_own_number_starting_with_a_feature_keyword_is_still_a_report(report_map, sms):
    # JOIN is volunteering's keyword; the map's own number comes first.
    message = sms("Join us, the tap at the market is broken", sent_to="0700000001")
    assert Report.objects.get().report_map == report_map
    assert message.route == "reports.intake"


@pytest.mark.parametrize(
    "text",
    [
        "FLOOD: water rising",
        "flood - water rising",
        "FLOOD,water rising",
        "#flood water rising",
        "Flood!! water rising",
        "FLOOD : water rising",
        "flood\u2014water rising",
        "  fLoOd;water rising",
    ],
)
def test_a_keyword_and_its_punctuation_are_cut_from_the_title(flood_map, sms, text):
    message = sms(text)
    report = Report.objects.get()
    assert report.report_map == flood_map
    assert report.title == "water rising"
    assert report.description == "water rising"
    assert message.route == "reports.keyword"


def test_a_word_that_only_starts_with_the_keyword_is_not_the_keyword(flood_map, sms):
    message = sms("Flooding in the school yard")
    assert Report.objects.count() == 0
    assert message.state == InboundMessage.State.NEW
    assert message.unmatched_at is not None


def test_the_own_maps_keyword_is_cut_on_its_own_number(report_map, sms):
    sms("maji - tap broken at the school", sent_to="+254700000001")
    assert Report.objects.get().title == "tap broken at the school"


def test_maps_sharing_a_number_are_told_apart_by_keyword(initiative, report_map, sms):
    other = ReportMap.objects.create(
        initiative=initiative,
        slug="roads",
        title="Roads",
        channels=["sms"],
        sms_keyword="ROAD",
        sms_number="+254700000001",
    )
    sms("road: pothole on Kibera Drive", sent_to="+254700000001")
    sms("MAJI tap broken", sent_to="+254700000001")
    assert list(Report.objects.order_by("pk").values_list("report_map", "title")) == [
        (other.pk, "pothole on Kibera Drive"),
        (report_map.pk, "tap broken"),
    ]
    # Neither keyword: it could be either map's, so a person decides.
    waiting = sms("hello, is this the right number", sent_to="+254700000001")
    assert Report.objects.count() == 2
    assert waiting.is_unmatched


def test_a_map_with_its_sms_off_keeps_its_number_from_other_maps(report_map, flood_map, sms):
    report_map.channels = ["web"]
    report_map.save()
    message = sms("FLOOD water rising", sent_to="+254700000001")
    assert Report.objects.count() == 0
    assert message.is_unmatched


def test_a_frontlinesms_channel_stands_for_its_configured_number(
    report_map, flood_map, django_capture_on_commit_callbacks
):
    channel = Channel.objects.create(
        kind="frontlinesms", name="Frontline", secret="frontline-secret", config={"number": "+254700000001"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("gateways:frontlinesms", args=[channel.pk]),
            data={"from": "+254744000444", "message": "Flood at the standpipe", "secret": "frontline-secret"},
        )
    assert Report.objects.get().report_map == report_map


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FLOOD: water", ("FLOOD", "water")),
        ("#Maji   tap", ("MAJI", "tap")),
        ("maji", ("MAJI", "")),
        ("maji...", ("MAJI", "")),
        ("", ("", "")),
        (": hello", ("", ": hello")),
        ("Maji_tap", ("", "Maji_tap")),
        ("Flooding", ("FLOODING", "")),
        ("Éboulement: route coupée", ("ÉBOULEMENT", "route coupée")),
    ],
)
def test_split_keyword(text, expected):
    assert split_keyword(text) == expected


def test_text_after_keyword_says_none_for_another_word():
    assert text_after_keyword("ROAD pothole", "MAJI") is None
    assert text_after_keyword("road - pothole", "Road") == "pothole"
    assert text_after_keyword("road pothole", "") is None
