"""GET /api/initiatives/{slug}/updates[/{id}]: public for public initiatives, paginated."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samen.initiatives.models import Update

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db


def post(initiative, author, n, **fields):
    fields.setdefault("title", f"Week {n}")
    fields.setdefault("body", f"We dug **{n}** wells.")
    return Update.objects.create(initiative=initiative, author=author, **fields)


def test_it_lists_updates_newest_first_with_safe_html(initiative, owner):
    first = post(initiative, owner, 1)
    second = post(initiative, owner, 2, body="<img src=x onerror=alert(1)> *fine*")
    body = ApiClient().get(f"/api/initiatives/{initiative.slug}/updates").json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]
    latest = body["items"][0]
    assert latest["body"] == second.body
    assert "<img" not in latest["body_html"] and "<em>fine</em>" in latest["body_html"]
    assert latest["url"] == f"http://testserver/initiatives/{initiative.slug}/updates/{second.pk}/"


def test_it_pages_updates(initiative, owner):
    for n in range(5):
        post(initiative, owner, n)
    client = ApiClient()
    page = client.get(f"/api/initiatives/{initiative.slug}/updates", {"page_size": 2, "page": 3}).json()
    assert page["count"] == 5 and page["pages"] == 3 and len(page["items"]) == 1


def queries_for(path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert ApiClient().get(path, {"page_size": 50}).status_code == 200
    return len(queries.captured_queries)


def test_the_update_list_runs_the_same_queries_for_3_or_30_updates(initiative, owner):
    path = f"/api/initiatives/{initiative.slug}/updates"
    for n in range(3):
        post(initiative, owner, n)
    few = queries_for(path)
    for n in range(27):
        post(initiative, owner, n)
    assert queries_for(path) == few


def test_one_update(initiative, owner):
    update = post(initiative, owner, 1)
    body = ApiClient().get(f"/api/initiatives/{initiative.slug}/updates/{update.pk}").json()
    assert body["id"] == update.pk and body["title"] == "Week 1"
    assert "<strong>1</strong>" in body["body_html"]


def test_an_update_is_found_only_under_its_own_initiative(initiative, owner, make_initiative):
    other = make_initiative(slug="other")
    update = post(other, owner, 1)
    assert_json_error(ApiClient().get(f"/api/initiatives/{initiative.slug}/updates/{update.pk}"), 404)
    assert_json_error(ApiClient().get(f"/api/initiatives/{initiative.slug}/updates/999999"), 404)
