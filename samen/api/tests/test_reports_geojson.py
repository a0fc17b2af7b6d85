"""Reports as GeoJSON for an area, and the server's clusters for a view of the map."""

# Fixtures are imported from other test modules and used as parameters.

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from samen.reports import clustering
from samen.reports.models import Report, ReportMap

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

KIBERA = "-1.4,36.7,-1.2,36.9"


def geojson_url(report_map):
    return f"/api/maps/{report_map.slug}/reports.geojson"


def clusters_url(report_map):
    return f"/api/maps/{report_map.slug}/clusters"


@pytest.fixture
def located(make_report):
    now = timezone.now()
    return {
        "published": make_report(title="Published", status=Report.Status.PUBLISHED, published_at=now),
        "received": make_report(title="Received"),
        "far": make_report(
            title="Mombasa",
            status=Report.Status.PUBLISHED,
            published_at=now,
            latitude=Decimal("-4.05"),
            longitude=Decimal("39.66"),
        ),
        "unlocated": make_report(
            title="No place", status=Report.Status.PUBLISHED, published_at=now, latitude=None, longitude=None
        ),
    }


@pytest.mark.parametrize("role", ["member", "outsider", "anonymous"])
def test_the_public_gets_published_reports_in_the_area_as_geojson(report_map, located, map_people, role):
    response = ApiClient(map_people[role]).get(geojson_url(report_map), {"bbox": KIBERA})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    assert collection["truncated"] is False
    [feature] = collection["features"]
    report = located["published"]
    assert feature["id"] == report.pk
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [float(report.longitude), float(report.latitude)],
    }
    assert "+254" not in response.content.decode()


@pytest.mark.parametrize("role", ["coordinator", "reviewer"])
def test_reviewers_get_unpublished_ones_too(report_map, located, map_people, role):
    collection = ApiClient(map_people[role]).get(geojson_url(report_map), {"bbox": KIBERA}).json()

    assert {f["properties"]["title"] for f in collection["features"]} == {"Published", "Received"}


def test_without_a_bbox_it_is_the_whole_map_but_only_located_reports(report_map, located):
    collection = ApiClient().get(geojson_url(report_map)).json()

    assert {f["properties"]["title"] for f in collection["features"]} == {"Published", "Mombasa"}


def test_the_answer_is_capped_and_says_so(report_map, make_report, monkeypatch):
    monkeypatch.setattr(clustering, "GEOJSON_LIMIT", 3)
    for n in range(5):
        make_report(title=f"R{n}", status=Report.Status.PUBLISHED, published_at=timezone.now())

    collection = ApiClient().get(geojson_url(report_map), {"bbox": KIBERA}).json()

    assert len(collection["features"]) == 3
    assert collection["truncated"] is True


def test_a_bad_bbox_is_a_json_400(report_map):
    body = assert_json_error(ApiClient().get(geojson_url(report_map), {"bbox": "north-ish"}), 400)

    assert "bbox" in body["errors"]


def test_clusters_answer_with_points_when_there_are_few(report_map, located):
    response = ApiClient().get(clusters_url(report_map), {"bbox": KIBERA, "zoom": 12})

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "points"
    assert [point["title"] for point in body["points"]] == ["Published"]


def test_reviewers_clusters_count_what_they_may_see(report_map, located, map_people):
    public = ApiClient().get(clusters_url(report_map), {"bbox": KIBERA, "zoom": 12}).json()
    reviewer_view = (
        ApiClient(map_people["reviewer"]).get(clusters_url(report_map), {"bbox": KIBERA, "zoom": 12}).json()
    )

    assert public["total"] == 1
    assert reviewer_view["total"] == 2


def test_clusters_need_a_bbox_and_a_sensible_zoom(report_map):
    assert_json_error(ApiClient().get(clusters_url(report_map), {"zoom": 5}), 422)
    body = assert_json_error(ApiClient().get(clusters_url(report_map), {"bbox": KIBERA, "zoom": 40}), 400)
    assert "zoom" in body["errors"]


@pytest.mark.parametrize("role", ["member", "outsider", "anonymous"])
def test_a_private_maps_clusters_do_not_exist_for_the_public(report_map, located, map_people, role):
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)

    assert_json_error(
        ApiClient(map_people[role]).get(clusters_url(report_map), {"bbox": KIBERA, "zoom": 12}), 404
    )
