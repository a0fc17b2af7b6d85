"""GET /api/initiatives and /api/initiatives/{slug}: public, paginated, filtered, bounded in queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samen.initiatives.models import Initiative

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db


def slugs(response):
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["items"]]


def test_it_lists_public_initiatives_with_their_fields(initiative):
    body = ApiClient().get("/api/initiatives").json()
    assert body["count"] == 1 and body["page"] == 1 and body["pages"] == 1
    item = body["items"][0]
    assert item["slug"] == "clean-water-kibera"
    assert item["title"] == "Clean water for Kibera"
    assert item["causes"] == ["water", "health"]
    assert item["status"] == "open"
    assert item["place"] == {"name": "Nairobi", "latitude": None, "longitude": None}
    assert item["follower_count"] == 1
    assert item["url"] == "http://testserver/initiatives/clean-water-kibera/"
    assert item["image"] is None


def test_it_never_lists_drafts(make_initiative):
    make_initiative(slug="public-one")
    make_initiative(slug="secret-draft", status=Initiative.Status.DRAFT)
    make_initiative(slug="done", status=Initiative.Status.CLOSED)
    assert set(slugs(ApiClient().get("/api/initiatives"))) == {"public-one", "done"}


def test_not_even_to_the_team(owner, make_initiative):
    make_initiative(slug="secret-draft", status=Initiative.Status.DRAFT)
    assert slugs(ApiClient(owner).get("/api/initiatives")) == []


def test_it_pages_through_everything_exactly_once(make_initiative):
    made = {make_initiative().slug for _ in range(7)}
    client = ApiClient()
    first = client.get("/api/initiatives", {"page_size": 3}).json()
    assert first["count"] == 7 and first["pages"] == 3 and len(first["items"]) == 3
    seen = []
    for page in (1, 2, 3):
        seen += slugs(client.get("/api/initiatives", {"page_size": 3, "page": page}))
    assert sorted(seen) == sorted(made)
    assert slugs(client.get("/api/initiatives", {"page_size": 3, "page": 4})) == []


@pytest.mark.parametrize("params", [{"page": 0}, {"page_size": 0}, {"page_size": 101}, {"page": "two"}])
def test_it_refuses_impossible_pages(db, params):
    body = assert_json_error(ApiClient().get("/api/initiatives", params), 422)
    assert "page" in body["detail"]


def test_it_filters_by_cause_status_and_place(make_initiative):
    make_initiative(slug="water", causes=["water"], place_name="Nairobi")
    make_initiative(slug="school", causes=["education"], place_name="Jacmel", status=Initiative.Status.CLOSED)
    client = ApiClient()
    assert slugs(client.get("/api/initiatives", {"cause": "water"})) == ["water"]
    assert slugs(client.get("/api/initiatives", {"status": "closed"})) == ["school"]
    assert slugs(client.get("/api/initiatives", {"place": "jacm"})) == ["school"]
    assert slugs(client.get("/api/initiatives", {"cause": "water", "status": "closed"})) == []


def test_it_searches_titles_summaries_and_stories(make_initiative):
    make_initiative(slug="wells", title="Wells for Kibera", summary="Digging wells together.")
    make_initiative(slug="books", title="Books for Jacmel", story="A library by the sea.")
    client = ApiClient()
    assert slugs(client.get("/api/initiatives", {"q": "wells"})) == ["wells"]
    assert slugs(client.get("/api/initiatives", {"q": "library"})) == ["books"]
    assert slugs(client.get("/api/initiatives", {"q": "kibera -wells"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"cause": "astrology"}, "cause"), ({"status": "draft"}, "status"), ({"status": "sleeping"}, "status")],
)
def test_it_refuses_unknown_filter_values(db, params, field):
    body = assert_json_error(ApiClient().get("/api/initiatives", params), 400)
    assert field in body["errors"]
    assert body["detail"].startswith(f"{field}: ")


def count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("params", [{}, {"q": "number", "cause": "water"}])
def test_the_list_runs_the_same_queries_for_3_or_30_initiatives(make_initiative, params):
    client = ApiClient()
    for _ in range(3):
        make_initiative(causes=["water"])
    few = count_queries(client, "/api/initiatives", params | {"page_size": 50})
    for _ in range(27):
        make_initiative(causes=["water"])
    many = count_queries(client, "/api/initiatives", params | {"page_size": 50})
    assert few == many <= 2


def test_a_token_adds_its_lookup_and_only_a_first_use_writes(make_initiative, outsider):
    for _ in range(3):
        make_initiative()
    client = ApiClient(outsider)
    assert count_queries(client, "/api/initiatives") == 2 + 2  # lookup, and last_used_at noted
    assert count_queries(client, "/api/initiatives") == 2 + 1  # lookup only, within the minute


def test_one_initiative_has_its_story_as_markdown_and_as_safe_html(initiative):
    initiative.story = "We are **residents**.\n\n<script>alert('x')</script> [click](javascript:alert(1))"
    initiative.latitude, initiative.longitude = -1.3, 36.8
    initiative.save()
    body = ApiClient().get(f"/api/initiatives/{initiative.slug}").json()
    assert body["story"] == initiative.story
    assert "<strong>residents</strong>" in body["story_html"]
    assert "<script" not in body["story_html"] and "javascript:" not in body["story_html"]
    assert body["place"] == {"name": "Nairobi", "latitude": -1.3, "longitude": 36.8}
    assert body["viewer_role"] == "anonymous"


def test_one_initiative_tells_the_caller_their_role(initiative, people):
    for name in ("owner", "team", "member", "outsider"):
        body = ApiClient(people[name]).get(f"/api/initiatives/{initiative.slug}").json()
        assert body["viewer_role"] == name


def test_an_unknown_initiative_is_a_json_404(db):
    assert_json_error(ApiClient().get("/api/initiatives/nothing-here"), 404)
