"""Sending in a report through the API: a token, a map that takes API reports, and no duplicates."""

# Fixtures are imported from other test modules and used as parameters.

import pytest

from samen.reports.models import Report, ReportChange, ReportMap

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

REPORT = {
    "title": "Water point broken",
    "description": "The tap at the school is broken. Call +254 712 345 678.",
    "event_at": "2024-03-01T08:30:00+03:00",
    "location": {"latitude": -1.313, "longitude": 36.787, "place_name": "Olympic", "precision": "near"},
    "reporter_contact": "+254712345678",
}


def url(report_map):
    return f"/api/maps/{report_map.slug}/reports"


@pytest.mark.parametrize("role", ["coordinator", "reviewer", "member", "outsider"])
def test_anyone_with_a_token_can_report_on_a_public_map(report_map, map_people, categories, role):
    payload = REPORT | {"categories": [categories["unsafe"].pk, categories["broken"].pk]}
    response = ApiClient(map_people[role]).post(url(report_map), payload)

    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert report.source == Report.Source.API
    assert report.status == Report.Status.RECEIVED
    assert report.created_by == map_people[role]
    assert report.primary_category == categories["unsafe"]
    assert report.location_precision == "near"
    assert str(report.latitude) == "-1.313000"
    assert report.event_at.isoformat() == "2024-03-01T05:30:00+00:00"
    assert ReportChange.objects.filter(report=report, action="created").exists()
    body = response.json()
    assert body["id"] == report.pk
    assert body["status"] == "received"


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_a_public_reporter_does_not_get_the_contact_back(report_map, map_people, role):
    response = ApiClient(map_people[role]).post(url(report_map), REPORT)

    assert response.json()["review"] is None
    assert "+254712345678" not in response.content.decode()
    assert "712 345 678" not in response.content.decode()


def test_a_reviewer_gets_the_private_part_back(report_map, map_people):
    body = ApiClient(map_people["reviewer"]).post(url(report_map), REPORT).json()

    assert body["review"]["reporter_contact"] == "+254712345678"


def test_without_a_token_it_is_a_json_401(report_map):
    response = ApiClient().post(url(report_map), REPORT)

    assert_json_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Report.objects.exists()


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_a_private_map_takes_no_reports_from_outside(report_map, map_people, role):
    ReportMap.objects.filter(pk=report_map.pk).update(visibility=ReportMap.Visibility.PRIVATE)

    assert_json_error(ApiClient(map_people[role]).post(url(report_map), REPORT), 404)
    assert not Report.objects.exists()


def test_a_map_that_does_not_take_api_reports_says_so(report_map, map_people):
    ReportMap.objects.filter(pk=report_map.pk).update(channels=["web", "sms"])

    body = assert_json_error(ApiClient(map_people["member"]).post(url(report_map), REPORT), 403)
    assert "API" in body["detail"]
    assert not Report.objects.exists()


def test_a_retry_with_the_same_idempotency_key_returns_the_first_report(report_map, map_people):
    client = ApiClient(map_people["member"])
    headers = {"Idempotency-Key": "phone-42-report-7"}

    first = client.post(url(report_map), REPORT, headers=headers)
    retries = [client.post(url(report_map), REPORT | {"title": "changed"}, headers=headers) for _ in range(5)]

    assert first.status_code == 201
    assert {retry.status_code for retry in retries} == {200}
    assert {retry.json()["id"] for retry in retries} == {first.json()["id"]}
    assert Report.objects.count() == 1


def test_external_id_works_like_the_header(report_map, map_people):
    client = ApiClient(map_people["member"])
    payload = REPORT | {"external_id": "post-1001", "reporter_contact": ""}

    assert client.post(url(report_map), payload).status_code == 201
    assert client.post(url(report_map), payload).status_code == 200
    assert client.post(url(report_map), payload, headers={"Idempotency-Key": "post-1001"}).status_code == 200
    assert Report.objects.count() == 1


def test_a_different_header_and_external_id_are_refused(report_map, map_people):
    body = assert_json_error(
        ApiClient(map_people["member"]).post(
            url(report_map), REPORT | {"external_id": "a"}, headers={"Idempotency-Key": "b"}
        ),
        400,
    )
    assert "external_id" in body["errors"]


def test_two_clients_using_the_same_key_never_get_each_others_report(report_map, map_people):
    headers = {"Idempotency-Key": "1"}
    mine = ApiClient(map_people["member"]).post(
        url(report_map), REPORT | {"reporter_contact": ""}, headers=headers
    )
    theirs = ApiClient(map_people["outsider"]).post(
        url(report_map), REPORT | {"title": "Another one", "reporter_contact": ""}, headers=headers
    )

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize(
    ("location", "field", "message"),
    [
        ({"latitude": 91, "longitude": 36.7}, "location.latitude", "between -90 and 90"),
        ({"latitude": -1.3, "longitude": -181}, "location.longitude", "between -180 and 180"),
        ({"latitude": -1.3}, "location", "both latitude and longitude"),
        ({"latitude": -1.3, "longitude": 36.7, "precision": "somewhere"}, "location.precision", "exact"),
    ],
)
def test_bad_coordinates_are_refused_with_a_clear_message(report_map, map_people, location, field, message):
    body = assert_json_error(
        ApiClient(map_people["member"]).post(url(report_map), REPORT | {"location": location}), 400
    )

    assert field in body["errors"]
    assert message in body["detail"]
    assert not Report.objects.exists()


def test_not_a_number_is_refused_as_a_422(report_map, map_people):
    response = ApiClient(map_people["member"]).client.post(
        url(report_map),
        '{"title": "x", "location": {"latitude": NaN, "longitude": 1}}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {ApiClient(map_people['member']).raw_token}"},
    )

    assert_json_error(response, 422)


def test_a_blank_title_and_unknown_categories_are_all_reported_at_once(report_map, map_people):
    body = assert_json_error(
        ApiClient(map_people["member"]).post(
            url(report_map), REPORT | {"title": "   ", "categories": [999999]}
        ),
        400,
    )

    assert set(body["errors"]) == {"title", "categories"}


def test_a_category_of_another_map_is_unknown_here(report_map, map_people, make_initiative):
    other = ReportMap.objects.create(initiative=make_initiative(), slug="other", title="Other")
    foreign = other.categories.create(title="Elsewhere")

    body = assert_json_error(
        ApiClient(map_people["member"]).post(url(report_map), REPORT | {"categories": [foreign.pk]}), 400
    )
    assert "categories" in body["errors"]


def test_a_missing_title_is_a_422_that_names_it(report_map, map_people):
    body = assert_json_error(ApiClient(map_people["member"]).post(url(report_map), {"description": "x"}), 422)

    assert "title" in body["detail"]
