"""FrontlineSMS texts on a map that takes texts by number: FrontlineSMS sends no id and no number."""

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage
from samen.reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def frontline(report_map):
    channel = Channel.objects.create(
        kind="frontlinesms",
        name="Frontline hub",
        secret="frontline-secret",
        # The hub's own number: the map's sms_number.
        config={"number": report_map.sms_number},
    )
    return reverse("gateways:frontlinesms", args=[channel.pk])


def test_a_text_without_keyword_or_id_reaches_the_map_by_the_hubs_number_once(
    frontline, report_map, time_machine, django_capture_on_commit_callbacks
):
    fields = {
        "from": "+254744000444",
        "message": "Standpipe leaking at Laini Saba",
        "secret": "frontline-secret",
    }
    time_machine.move_to("2024-06-12 10:09:50Z")
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(frontline, data=fields).status_code == 200
    time_machine.move_to("2024-06-12 10:13:00Z")  # FrontlineSMS retries in the next window
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(frontline, data=fields).status_code == 200
    message = InboundMessage.objects.get()
    assert message.state == InboundMessage.State.ROUTED
    report = Report.objects.get()
    assert report.report_map == report_map
    assert report.description == "Standpipe leaking at Laini Saba"
