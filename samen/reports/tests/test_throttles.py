"""Throttles on crowd reports: the web form, the API, and alert subscriptions (per client and per address).

The same limits hold across processes: tests/test_throttles_across_processes.py.
"""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from samen.api.tests.conftest import ApiClient
from samen.api.tests.test_reports_create import REPORT
from samen.reports.models import Report, Subscription

from .test_web_form import form_data

pytestmark = pytest.mark.django_db


def test_web_reports_past_the_limit_get_a_page_and_are_not_stored(throttles, client, report_map):
    throttles(report="2/h")
    path = reverse("reports:report", args=[report_map.slug])

    answers = [client.post(path, form_data(client, report_map, title=f"Dry tap {n}")) for n in range(3)]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    page = answers[2].content.decode()
    assert "Please wait a moment" in page and "What you just sent was not saved" in page
    assert int(answers[2]["Retry-After"]) > 0
    assert Report.objects.count() == 2


def test_api_reports_past_the_limit_get_json_429(throttles, report_map, member):
    throttles(report="1/h")
    client = ApiClient(member)
    path = f"/api/maps/{report_map.slug}/reports"

    first = client.post(path, REPORT | {"external_id": "one"})
    second = client.post(path, REPORT | {"external_id": "two"})

    assert first.status_code == 201
    assert second.status_code == 429
    assert second.json()["retry_after"] == int(second["Retry-After"])
    assert Report.objects.count() == 1


def subscribe(client, report_map, address, **extra):
    return client.post(
        reverse("reports:subscribe", args=[report_map.slug]),
        {"channel": "email", "address": address},
        **extra,
    )


def test_one_client_may_ask_for_only_so_many_subscriptions(throttles, report_map):
    throttles(subscribe="2/h")
    client = Client()

    answers = [subscribe(client, report_map, f"person{n}@example.org") for n in range(3)]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert Subscription.objects.count() == 2
    # Another client is counted apart.
    assert (
        subscribe(Client(), report_map, "someone@example.org", REMOTE_ADDR="198.51.100.20").status_code == 302
    )


def test_one_address_gets_only_so_many_confirmations_whoever_asks(
    throttles, report_map, django_capture_on_commit_callbacks
):
    throttles(subscribe_address="2/h")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            # Three clients, the same inbox, written differently: the address is counted as normalised.
            subscribe(Client(), report_map, address, REMOTE_ADDR=f"198.51.100.{n}")
            for n, address in enumerate(["amina@example.org", " Amina@Example.org", "AMINA@example.org"])
        ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert len(mail.outbox) == 2
    assert subscribe(Client(), report_map, "other@example.org", REMOTE_ADDR="198.51.100.9").status_code == 302


def test_the_maps_team_is_not_held_back_by_the_report_limit(throttles, client_as, report_map, map_people):
    throttles(report="1/h")
    coordinator, reviewer = client_as(map_people["coordinator"]), client_as(map_people["reviewer"])
    path = reverse("reports:report", args=[report_map.slug])

    for person in (coordinator, coordinator, reviewer, reviewer):
        assert person.post(path, form_data(person, report_map)).status_code == 302
    api = ApiClient(map_people["coordinator"])
    for key, text in [("a", "The pump is gone."), ("b", "The pipe has burst.")]:
        answer = api.post(
            f"/api/maps/{report_map.slug}/reports", REPORT | {"external_id": key, "description": text}
        )
        assert answer.status_code == 201
