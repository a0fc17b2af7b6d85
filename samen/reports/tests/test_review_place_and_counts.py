"""The review pages show the queue's counts by status, and the report's place on a small map."""

from decimal import Decimal

import pytest
from django.urls import reverse

from samen.reports.models import Report

pytestmark = pytest.mark.django_db


def test_the_queue_counts_every_status_whatever_the_filters(client_as, reviewer, report_map, make_report):
    for status, n in [("received", 3), ("in_review", 2), ("published", 4), ("archived", 1)]:
        for i in range(n):
            make_report(title=f"{status} {i}", status=status, latitude=None if i == 0 else Decimal("-1.3"))
    into = Report.objects.filter(status="published").first()
    make_report(status=Report.Status.ARCHIVED, merged_into=into)  # merged: not counted

    response = client_as(reviewer).get(reverse("reports:review", args=[report_map.slug]), {"source": "api"})

    assert [(status, n) for status, _label, n in response.context["status_counts"]] == [
        ("received", 3),
        ("in_review", 2),
        ("published", 4),
        ("archived", 1),
    ]
    page = response.content.decode()
    assert '<a href="?status=published">Published: 4</a>' in page
    assert '<a href="?status=in_review">In review: 2</a>' in page


def test_the_edit_page_shows_the_place_on_a_map_and_as_text(client_as, reviewer, report_map, make_report):
    report = make_report(place_name="Olympic school", latitude=Decimal("-1.313"), longitude=Decimal("36.787"))

    page = (
        client_as(reviewer)
        .get(reverse("reports:review_edit", args=[report_map.slug, report.pk]))
        .content.decode()
    )

    assert "Olympic school · -1.313000, 36.787000" in page
    assert 'id="place-map"' in page
    assert 'data-lat="-1.313000" data-lng="36.787000"' in page
    assert "vendor/leaflet/leaflet.js" in page


def test_a_report_without_coordinates_has_no_map(client_as, reviewer, report_map, make_report):
    report = make_report(place_name="Somewhere in Kibera", latitude=None, longitude=None)

    page = (
        client_as(reviewer)
        .get(reverse("reports:review_edit", args=[report_map.slug, report.pk]))
        .content.decode()
    )

    assert "Somewhere in Kibera · No coordinates" in page
    assert 'id="place-map"' not in page
    assert "vendor/leaflet/leaflet.js" not in page


def test_the_map_opens_on_the_published_reports(client, report_map, make_report):
    make_report(status=Report.Status.PUBLISHED, latitude=Decimal("-1.5"), longitude=Decimal("36.5"))
    make_report(status=Report.Status.PUBLISHED, latitude=Decimal("-0.5"), longitude=Decimal("37.25"))
    make_report(status=Report.Status.PUBLISHED, latitude=None, longitude=None)
    make_report(status=Report.Status.RECEIVED, latitude=Decimal("5"), longitude=Decimal("40"))  # unpublished

    page = client.get(reverse("reports:map", args=[report_map.slug])).content.decode()

    assert 'data-extent="-1.500000,36.500000,-0.500000,37.250000"' in page


def test_a_map_without_published_reports_opens_where_it_was_set(client, report_map, make_report):
    make_report(status=Report.Status.RECEIVED)

    page = client.get(reverse("reports:map", args=[report_map.slug])).content.decode()

    assert 'data-extent=""' in page
