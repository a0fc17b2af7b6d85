"""The map's pages and JSON answers make the same number of queries however many reports there are."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samen.reports import clustering
from samen.reports.models import Report

BOX = "-5,33,5,42"


def add_reports(report_map, categories, n, start=0):
    rows = []
    for i in range(start, start + n):
        report = Report(
            report_map=report_map,
            title=f"Report {i}",
            latitude=Decimal("-4.5") + Decimal(i % 90) / 10,
            longitude=Decimal("33.5") + Decimal(i % 83) / 10,
            status=Report.Status.PUBLISHED if i % 4 else Report.Status.RECEIVED,
            source=Report.Source.SMS,
            primary_category=[categories["broken"], categories["unsafe"]][i % 2],
        )
        report.prepare()
        rows.append(report)
    made = Report.objects.bulk_create(rows)
    for report in made:
        report.categories.add(report.primary_category)


def queries(client, url) -> int:
    client.get(url)  # the first request fills per-process caches (sessions, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


URLS = {
    "page": lambda m, c: reverse("reports:map", args=[m.slug]) + f"?category={c['urgent'].pk}",
    "list": lambda m, c: reverse("reports:map_list", args=[m.slug]) + f"?bbox={BOX}&source=sms",
    "clusters": lambda m, c: reverse("reports:clusters", args=[m.slug]) + f"?bbox={BOX}&zoom=7",
    "filtered clusters": lambda m, c: (
        reverse("reports:clusters", args=[m.slug])
        + f"?bbox={BOX}&zoom=7&category={c['unsafe'].pk}&from=2000-01-01"
    ),
    "points": lambda m, c: reverse("reports:clusters", args=[m.slug]) + f"?bbox={BOX}&zoom=17",
    "geojson": lambda m, c: reverse("reports:geojson", args=[m.slug]) + f"?bbox={BOX}",
}


@pytest.mark.parametrize("who", ["anonymous", "reviewer"])
@pytest.mark.parametrize("name", list(URLS))
def test_queries_do_not_grow_with_the_reports(
    client_as, map_people, report_map, categories, monkeypatch, who, name
):
    # One mode per URL: switching between points and clusters costs one query more (at most).
    monkeypatch.setattr(clustering, "FEW_REPORTS", 0)
    monkeypatch.setattr(clustering, "POINT_LIMIT", 1000)
    client = client_as(map_people[who])
    url = URLS[name](report_map, categories)

    add_reports(report_map, categories, 10)
    few = queries(client, url)
    add_reports(report_map, categories, 300, start=10)
    many = queries(client, url)

    assert many == few
