"""Input at the edges: dates outside 1900–2999, page numbers near 2^63 and ids of 20 digits are
answered with 400 or 404, never a server error, and nothing is saved on the way."""

import pytest

from samen.reports.models import Report

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

HUGE = 10**20  # 20 digits: past 2^63


@pytest.mark.parametrize(
    "event_at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_a_report_from_year_1_or_9999_is_refused_and_not_saved(report_map, map_people, event_at):
    response = ApiClient(map_people["reviewer"]).post(
        f"/api/maps/{report_map.slug}/reports", {"title": "Water point broken", "event_at": event_at}
    )
    body = assert_json_error(response, 400)
    assert body["errors"] == {"event_at": ["Give a date between 1900 and 2999."]}
    assert not Report.objects.exists()


@pytest.mark.parametrize("path", ["reports", "reports.geojson", "clusters"])
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00"])
def test_a_filter_date_out_of_range_is_a_400(report_map, path, name, moment):
    query = {name: moment, "zoom": 3, "bbox": "-10,30,10,40"}
    body = assert_json_error(ApiClient().get(f"/api/maps/{report_map.slug}/{path}", query), 400)
    assert name in body["errors"]


def test_hours_and_deadlines_out_of_range_are_400(initiative, owner):
    client = ApiClient(owner)
    response = client.post(
        f"/api/initiatives/{initiative.slug}/opportunities", {"title": "Paint", "deadline": "9999-12-31"}
    )
    assert assert_json_error(response, 400)["errors"] == {"deadline": ["Give a date between 1900 and 2999."]}


@pytest.mark.parametrize(
    "path", ["/api/initiatives", "/api/opportunities", "/api/initiatives/{slug}/updates"]
)
@pytest.mark.parametrize("page", [2**63 - 1, 2**63, 32589158477190044730])
def test_a_page_no_list_reaches_is_a_404(initiative, path, page):
    response = ApiClient().get(path.format(slug=initiative.slug), {"page": page, "page_size": 100})
    assert_json_error(response, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/plans/{id}",
        "/api/sections/{id}/reactions",
        "/api/reactions/{id}",
        "/api/opportunities/{id}",
        "/api/initiatives/{slug}/updates/{id}",
        "/api/maps/{map}/reports/{id}",
        "/api/outreach/messages/{id}",
        "/api/participations/{id}/hours",
    ],
)
def test_an_id_of_20_digits_is_a_404(report_map, owner, path):
    initiative = report_map.initiative
    response = ApiClient(owner).get(path.format(id=HUGE, slug=initiative.slug, map=report_map.slug))
    assert_json_error(response, 404)


def test_a_category_id_of_20_digits_is_an_unknown_category(report_map, map_people):
    response = ApiClient(map_people["reviewer"]).post(
        f"/api/maps/{report_map.slug}/reports", {"title": "Water point broken", "categories": [HUGE]}
    )
    assert "categories" in assert_json_error(response, 400)["errors"]
    response = ApiClient().get(f"/api/maps/{report_map.slug}/reports", {"category": HUGE})
    assert "category" in assert_json_error(response, 400)["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/initiatives/%00",
        "/api/initiatives/a%00b/updates",
        "/api/maps/%00/reports",
        "/api/campaigns/%00/leaderboard",
    ],
)
def test_a_nul_in_an_address_names_nothing(db, path):
    # PostgreSQL refuses NUL in text: without the check this was a server error there.
    assert_json_error(ApiClient().get(path), 404)


def test_a_nul_in_a_body_or_key_is_a_400_and_saves_nothing(report_map, map_people):
    client = ApiClient(map_people["reviewer"])
    url = f"/api/maps/{report_map.slug}/reports"
    body = assert_json_error(client.post(url, {"title": "Water\x00point"}), 400)
    assert "NUL" in body["detail"]
    assert_json_error(client.post(url, {"title": "Water", "categories": [], "x": {"y": ["\x00"]}}), 400)
    assert_json_error(client.post(url, {"title": "Water"}, headers={"Idempotency-Key": "a\x00b"}), 400)
    assert not Report.objects.exists()
