"""The review queue at /maps/<slug>/review/: filters, search, pagination and a flat query count."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samen.reports.models import Report


def queue(client, report_map, **params):
    return client.get(reverse("reports:review", args=[report_map.slug]), params)


def titles(response):
    return [report.title for report in response.context["reports"]]


@pytest.mark.django_db
def test_the_queue_shows_what_waits_by_default(client_as, reviewer, report_map, make_report):
    make_report(title="Just arrived")
    make_report(title="Being looked at", status=Report.Status.IN_REVIEW)
    make_report(title="Already out", status=Report.Status.PUBLISHED)
    make_report(title="Set aside", status=Report.Status.ARCHIVED)

    response = queue(client_as(reviewer), report_map)

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Being looked at", "Just arrived"]


@pytest.mark.django_db
def test_the_queue_filters_by_status_source_category_and_place(
    client_as, reviewer, report_map, make_report, categories
):
    sms = make_report(title="By SMS", source="sms", latitude=None, longitude=None)
    web = make_report(title="By web", source="web", status=Report.Status.PUBLISHED)
    web.categories.add(categories["unsafe"])
    client = client_as(reviewer)

    assert titles(queue(client, report_map, status="published")) == ["By web"]
    assert titles(queue(client, report_map, status="all", source="sms")) == ["By SMS"]
    assert titles(queue(client, report_map, status="all", category=categories["unsafe"].pk)) == ["By web"]
    assert titles(queue(client, report_map, status="all", unlocated="on")) == ["By SMS"]
    assert sms.pk  # both exist; each filter picked one


@pytest.mark.django_db
def test_the_queue_searches_text_place_contact_and_number(client_as, reviewer, report_map, make_report):
    one = make_report(title="Tap broken", description="near the school", place_name="Olympic")
    make_report(title="Latrine full", description="by the market", reporter_contact="+254711000999")
    client = client_as(reviewer)

    assert titles(queue(client, report_map, q="SCHOOL")) == ["Tap broken"]
    assert titles(queue(client, report_map, q="olympic")) == ["Tap broken"]
    assert titles(queue(client, report_map, q="711000999")) == ["Latrine full"]
    assert titles(queue(client, report_map, q=f"#{one.pk}")) == ["Tap broken"]


@pytest.mark.django_db
def test_a_bad_filter_is_reported_and_the_others_still_apply(client_as, reviewer, report_map, make_report):
    make_report(title="By SMS", source="sms")
    make_report(title="By web", source="web")

    response = queue(client_as(reviewer), report_map, source="sms", category="not-a-number")

    assert response.status_code == 200
    assert "category" in response.context["filter_form"].errors
    assert titles(response) == ["By SMS"]


@pytest.mark.django_db
def test_merged_reports_leave_the_queue(client_as, reviewer, report_map, make_report):
    original = make_report(title="Original")
    make_report(title="Merged copy", merged_into=original)

    assert titles(queue(client_as(reviewer), report_map, status="all")) == ["Original"]


@pytest.mark.django_db
def test_the_queue_shows_near_duplicate_flags_and_locks(client_as, reviewer, people, report_map, make_report):
    original = make_report(title="Original")
    make_report(title="Copy", near_duplicate_of=original)
    client_as(people["team"]).get(reverse("reports:review_edit", args=[report_map.slug, original.pk]))

    page = queue(client_as(reviewer), report_map).content.decode()

    assert (
        f'Possible duplicate of <a href="{reverse("reports:review_edit", args=[report_map.slug, original.pk])}">#{original.pk}</a>'
        in page
    )
    assert "Being edited by Tom Team" in page
    assert titles(queue(client_as(reviewer), report_map, duplicates="on")) == ["Copy"]


@pytest.mark.django_db
def test_the_queue_is_paginated_and_keeps_its_filters(client_as, reviewer, report_map, make_report):
    for n in range(30):
        make_report(title=f"Report {n}", source="sms")

    first = queue(client_as(reviewer), report_map, source="sms")
    second = queue(client_as(reviewer), report_map, source="sms", page=2)

    assert len(titles(first)) == 25
    assert len(titles(second)) == 5
    assert "?source=sms&amp;page=2" in first.content.decode()


def count_queries(client, report_map) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = queue(client, report_map, status="all")
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_queue_runs_the_same_number_of_queries_for_3_or_30_reports(
    client_as, reviewer, people, report_map, make_report, categories
):
    client = client_as(reviewer)

    def add(n):
        for i in range(n):
            report = make_report(title=f"Report {i}", latitude=Decimal("-1.31"), longitude=Decimal("36.78"))
            report.categories.add(categories["urgent"], categories["unsafe"])
            Report.objects.filter(pk=report.pk).update(locked_by=people["team"], near_duplicate_of=report)

    add(3)
    few = count_queries(client, report_map)
    add(27)
    many = count_queries(client, report_map)

    assert few == many
