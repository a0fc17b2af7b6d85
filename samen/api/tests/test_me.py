"""GET /api/me: the token's own member."""

import pytest

from samen.api.models import ApiToken

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_it_shows_my_profile_basics_and_teams(initiative, owner):
    body = ApiClient(owner).get("/api/me").json()
    assert body["email"] == "olga@example.org"
    assert body["name"] == "Olga Owner" and body["display_name"] == "Olga Owner"
    assert body["skills"] == ["fundraising"] and body["causes"] == ["water"]
    assert body["place"] == {"name": "", "latitude": None, "longitude": None}
    assert body["teams"] == [{"slug": initiative.slug, "title": initiative.title, "role": "owner"}]
    assert "password" not in body


def test_it_shows_the_tokens_member_and_nobody_else(owner, outsider):
    _, raw = ApiToken.issue(outsider, "otto's")
    body = ApiClient(raw_token=raw).get("/api/me").json()
    assert body["email"] == outsider.email and body["teams"] == []
