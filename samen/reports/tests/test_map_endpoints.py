"""clusters.json and reports.geojson: answers, bad parameters, privacy and caching."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from samen.reports import clustering
from samen.reports.models import Report, ReportMap

BOX = "-5,33,5,42"
REVIEWERS = {"coordinator", "team", "reviewer"}


@pytest.fixture
def reports(make_report, categories):
    published = [
        make_report(
            title=f"Published {i}",
            latitude=Decimal("-1.29") + Decimal(i) / 1000,
            longitude=Decimal("36.82"),
            status=Report.Status.PUBLISHED,
            primary_category=categories["broken"],
        )
        for i in range(3)
    ]
    waiting = make_report(title="Waiting for review", status=Report.Status.RECEIVED)
    return published, waiting


def clusters_url(report_map, **params):
    params.setdefault("bbox", BOX)
    params.setdefault("zoom", "8")
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:clusters', args=[report_map.slug])}?{query}"


def test_it_answers_clusters_as_compact_json(client, report_map, reports, monkeypatch):
    monkeypatch.setattr(clustering, "FEW_REPORTS", 1)
    response = client.get(clusters_url(report_map))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["kind"] == "clusters"
    assert data["total"] == 3
    assert sum(cluster["count"] for cluster in data["clusters"]) == 3
    assert set(data["clusters"][0]) == {"lat", "lng", "count", "category"}


def test_it_answers_few_reports_as_points_with_links(client, report_map, reports):
    published, _waiting = reports
    data = client.get(clusters_url(report_map)).json()

    assert data["kind"] == "points"
    assert {point["url"] for point in data["points"]} == {report.get_absolute_url() for report in published}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": ""}, "bbox"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "nan,1,2,3"}, "bbox"),
        ({"bbox": "-91,0,10,10"}, "bbox"),
        ({"bbox": "0,-181,10,10"}, "bbox"),
        ({"bbox": "10,0,5,10"}, "bbox"),
        ({"bbox": "0,10,5,10"}, "bbox"),
        ({"zoom": ""}, "zoom"),
        ({"zoom": "seven"}, "zoom"),
        ({"zoom": "21"}, "zoom"),
        ({"zoom": "-1"}, "zoom"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2024-03-10", "to": "2024-03-01"}, "to"),
        ({"category": "999999"}, "category"),
        ({"category": "x"}, "category"),
        ({"source": "pigeon"}, "source"),
    ],
)
def test_bad_parameters_get_a_400_with_a_json_message(client, report_map, reports, params, field):
    response = client.get(clusters_url(report_map, **params))

    assert response.status_code == 400
    data = response.json()
    assert data["detail"]
    assert field in data["errors"]


def test_a_missing_bbox_gets_a_400(client, report_map):
    response = client.get(reverse("reports:clusters", args=[report_map.slug]) + "?zoom=3")
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


def test_a_reviewer_asking_for_an_unknown_status_gets_a_400(client_as, map_people, report_map):
    response = client_as(map_people["reviewer"]).get(clusters_url(report_map, status="lost"))
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_a_box_across_the_antimeridian_is_accepted(client, report_map):
    response = client.get(clusters_url(report_map, bbox="-20,170,-10,-170", zoom="5"))
    assert response.status_code == 200
    assert response.json()["bbox"] == [-20, 170, -10, -170]


@pytest.mark.parametrize("who", ["coordinator", "team", "reviewer", "member", "outsider", "anonymous"])
def test_a_public_map_shows_unpublished_reports_to_reviewers_only(
    client_as, map_people, report_map, reports, who
):
    published, waiting = reports
    data = client_as(map_people[who]).get(clusters_url(report_map)).json()

    ids = {point["id"] for point in data["points"]}
    assert {report.pk for report in published} <= ids
    assert (waiting.pk in ids) == (who in REVIEWERS)


@pytest.mark.parametrize("who", ["coordinator", "team", "reviewer", "member", "outsider", "anonymous"])
@pytest.mark.parametrize("name", ["reports:clusters", "reports:geojson"])
def test_a_private_map_is_not_found_for_outsiders(client_as, map_people, report_map, reports, who, name):
    report_map.visibility = ReportMap.Visibility.PRIVATE
    report_map.save()
    url = f"{reverse(name, args=[report_map.slug])}?bbox={BOX}&zoom=8"

    response = client_as(map_people[who]).get(url)

    assert response.status_code == (200 if who in REVIEWERS else 404)
    if response.status_code == 404:
        assert response.json()["detail"]
    else:
        assert "private" in response["Cache-Control"]


def test_the_public_status_filter_is_not_offered(client, report_map, reports):
    data = client.get(clusters_url(report_map, status="received")).json()
    assert data["total"] == 3


def test_anonymous_answers_on_a_public_map_may_be_cached_by_anyone(client, client_as, map_people, report_map):
    anonymous = client.get(clusters_url(report_map))
    signed_in = client_as(map_people["member"]).get(clusters_url(report_map))

    def directives(response):
        return {part.strip().split("=")[0]: part.strip() for part in response["Cache-Control"].split(",")}

    assert set(directives(anonymous)) == {"public", "max-age"}
    assert set(directives(signed_in)) == {"private", "max-age"}
    # A directive is never written out with a value it does not take ("private=False").
    assert "False" not in anonymous["Cache-Control"] + signed_in["Cache-Control"]


def test_geojson_is_a_feature_collection_of_the_box(client, report_map, reports):
    published, waiting = reports
    response = client.get(f"{reverse('reports:geojson', args=[report_map.slug])}?bbox={BOX}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["truncated"] is False
    assert {feature["id"] for feature in data["features"]} == {report.pk for report in published}
    feature = next(f for f in data["features"] if f["id"] == published[0].pk)
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [float(published[0].longitude), float(published[0].latitude)],
    }
    assert "reporter_contact" not in feature["properties"]


def test_geojson_says_when_it_left_reports_out(client, report_map, reports, monkeypatch):
    monkeypatch.setattr(clustering, "GEOJSON_LIMIT", 2)
    data = client.get(f"{reverse('reports:geojson', args=[report_map.slug])}?bbox={BOX}").json()

    assert data["truncated"] is True
    assert len(data["features"]) == 2


def test_geojson_refuses_a_bad_box(client, report_map):
    response = client.get(f"{reverse('reports:geojson', args=[report_map.slug])}?bbox=0,0,0,0")
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


def test_a_date_range_counts_whole_days_in_the_sites_time_zone(
    client, report_map, make_report, settings, monkeypatch
):
    settings.TIME_ZONE = "Africa/Nairobi"  # UTC+3: a local day starts at 21:00 UTC the day before
    monkeypatch.setattr(clustering, "FEW_REPORTS", 0)
    moments = {
        "last minute of 1 March": datetime(2024, 3, 1, 20, 59, tzinfo=UTC),
        "first minute of 2 March": datetime(2024, 3, 1, 21, 0, tzinfo=UTC),
        "noon on 2 March": datetime(2024, 3, 2, 9, 0, tzinfo=UTC),
        "last minute of 3 March": datetime(2024, 3, 3, 20, 59, tzinfo=UTC),
        "first minute of 4 March": datetime(2024, 3, 3, 21, 0, tzinfo=UTC),
    }
    for title, moment in moments.items():
        make_report(title=title, status=Report.Status.PUBLISHED, event_at=moment)

    data = client.get(clusters_url(report_map, **{"from": "2024-03-02", "to": "2024-03-03"})).json()

    assert data["kind"] == "clusters"
    assert data["total"] == 3


def test_a_category_takes_in_reports_tagged_with_its_children(
    client, report_map, make_report, categories, monkeypatch
):
    monkeypatch.setattr(clustering, "FEW_REPORTS", 0)
    tagged = make_report(status=Report.Status.PUBLISHED, primary_category=categories["unsafe"])
    tagged.categories.set([categories["unsafe"], categories["broken"]])
    make_report(status=Report.Status.PUBLISHED, primary_category=categories["broken"])
    make_report(status=Report.Status.PUBLISHED, primary_category=categories["unsafe"])

    emergency = client.get(clusters_url(report_map, category=categories["urgent"].pk)).json()
    unsafe = client.get(clusters_url(report_map, category=categories["unsafe"].pk)).json()

    assert emergency["total"] == 2
    assert unsafe["total"] == 2
    # The cluster is named after the most common primary category among the reports it counts.
    assert {cluster["category"] for cluster in unsafe["clusters"]} == {categories["unsafe"].pk}
