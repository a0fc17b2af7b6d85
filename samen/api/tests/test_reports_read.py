"""Reading a map's reports through the API: published ones for everyone, everything for reviewers."""

# Fixtures are imported from other test modules and used as parameters.

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from samen.reports.models import Report, ReportMap

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

REVIEWERS = ["coordinator", "team", "reviewer"]
PUBLIC = ["member", "outsider", "anonymous"]


def list_url(report_map):
    return f"/api/maps/{report_map.slug}/reports"


@pytest.fixture
def reports(make_report):
    published = make_report(
        title="Published", status=Report.Status.PUBLISHED, published_at=timezone.now(), reporter_name="Amina"
    )
    received = make_report(title="Just received")
    archived = make_report(title="Archived", status=Report.Status.ARCHIVED)
    return {"published": published, "received": received, "archived": archived}


@pytest.mark.parametrize("role", PUBLIC)
def test_the_public_sees_published_reports_only_without_reporter_or_original(
    report_map,
    reports,
    map_people,
    role,
):
    response = ApiClient(map_people[role]).get(list_url(report_map))

    assert response.status_code == 200
    body = response.json()
    assert [item["title"] for item in body["items"]] == ["Published"]
    assert body["items"][0]["review"] is None
    text = response.content.decode()
    for private in ("712 345 678", "+254712345678", "Amina"):
        assert private not in text
    assert "[removed]" in body["items"][0]["description"]


@pytest.mark.parametrize("role", REVIEWERS)
def test_reviewers_see_every_report_with_its_reporter(report_map, reports, map_people, role):
    body = ApiClient(map_people[role]).get(list_url(report_map)).json()

    assert {item["title"] for item in body["items"]} == {"Published", "Just received", "Archived"}
    published = next(item for item in body["items"] if item["title"] == "Published")
    assert published["review"]["reporter_contact"] == "+254712345678"
    assert "+254 712 345 678" in published["review"]["original_description"]


@pytest.mark.parametrize("role", REVIEWERS)
def test_reviewers_filter_by_status(report_map, reports, map_people, role):
    body = ApiClient(map_people[role]).get(list_url(report_map), {"status": "received"}).json()

    assert [item["title"] for item in body["items"]] == ["Just received"]


@pytest.mark.parametrize("role", PUBLIC)
def test_the_public_may_not_filter_by_status(report_map, reports, map_people, role):
    assert_json_error(ApiClient(map_people[role]).get(list_url(report_map), {"status": "received"}), 403)


@pytest.mark.parametrize("role", PUBLIC)
def test_a_private_map_does_not_exist_for_the_public(report_map, reports, map_people, role):
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)
    client = ApiClient(map_people[role])

    assert_json_error(client.get(list_url(report_map)), 404)
    assert_json_error(client.get(f"{list_url(report_map)}/{reports['published'].pk}"), 404)
    assert_json_error(client.get(f"/api/maps/{report_map.slug}/reports.geojson"), 404)


@pytest.mark.parametrize("role", REVIEWERS)
def test_a_private_map_is_there_for_its_reviewers(report_map, reports, map_people, role):
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)

    assert ApiClient(map_people[role]).get(list_url(report_map)).status_code == 200


@pytest.mark.parametrize(("role", "status"), [*((r, 200) for r in REVIEWERS), *((r, 404) for r in PUBLIC)])
def test_one_unpublished_report_is_for_reviewers_only(report_map, reports, map_people, role, status):
    response = ApiClient(map_people[role]).get(f"{list_url(report_map)}/{reports['received'].pk}")

    assert response.status_code == status
    if status == 404:
        assert_json_error(response, 404)


def test_one_published_report_for_anyone(report_map, reports, categories):
    report = reports["published"]
    report.categories.set([categories["broken"]])
    body = ApiClient().get(f"{list_url(report_map)}/{report.pk}").json()

    assert body["id"] == report.pk
    assert body["map"] == report_map.slug
    assert body["location"] == {
        "latitude": float(report.latitude),
        "longitude": float(report.longitude),
        "place_name": "",
        "precision": "exact",
    }
    assert body["categories"][0]["parent"] == categories["urgent"].pk
    assert body["url"].endswith(report.get_absolute_url())
    assert body["review"] is None


def test_an_unknown_map_or_report_is_a_json_404(report_map):
    assert_json_error(ApiClient().get("/api/maps/nowhere/reports"), 404)
    assert_json_error(ApiClient().get(f"{list_url(report_map)}/999999"), 404)


def test_filters_by_category_including_children_source_time_and_area(report_map, categories, make_report):
    def published(title, **fields):
        return make_report(title=title, status=Report.Status.PUBLISHED, published_at=timezone.now(), **fields)

    child = published("Child category", event_at=datetime(2024, 3, 1, tzinfo=UTC))
    child.categories.set([categories["broken"]])
    other = published("Other category", source=Report.Source.SMS, event_at=datetime(2024, 4, 1, tzinfo=UTC))
    other.categories.set([categories["unsafe"]])
    published(
        "Far away",
        latitude=Decimal("-4.05"),
        longitude=Decimal("39.66"),
        event_at=datetime(2024, 5, 1, tzinfo=UTC),
    )

    def titles(**query):
        return sorted(item["title"] for item in ApiClient().get(list_url(report_map), query).json()["items"])

    assert titles(category=categories["urgent"].pk) == ["Child category"]
    assert titles(source="sms") == ["Other category"]
    assert titles(since="2024-03-15T00:00:00Z", until="2024-04-15T00:00:00Z") == ["Other category"]
    assert titles(bbox="-1.4,36.7,-1.2,36.9") == ["Child category", "Other category"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-91,0,1,1"}, "bbox"),
        ({"source": "pigeon"}, "source"),
        ({"category": 999999}, "category"),
    ],
)
def test_bad_filters_get_a_json_400_that_names_the_field(report_map, query, field):
    body = assert_json_error(ApiClient().get(list_url(report_map), query), 400)

    assert field in body["errors"]


def test_a_non_number_category_is_a_422(report_map):
    assert_json_error(ApiClient().get(list_url(report_map), {"category": "water"}), 422)


def test_the_list_costs_the_same_queries_for_one_report_or_many(
    report_map,
    categories,
    make_report,
    django_assert_max_num_queries,
):
    def add(n):
        for i in range(n):
            report = make_report(title=f"R{i}", status=Report.Status.PUBLISHED, published_at=timezone.now())
            report.categories.set([categories["broken"], categories["unsafe"]])

    add(1)
    with django_assert_max_num_queries(6) as few:
        ApiClient().get(list_url(report_map))
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = ApiClient().get(list_url(report_map), {"page_size": 50}).json()
    assert body["count"] == 31
