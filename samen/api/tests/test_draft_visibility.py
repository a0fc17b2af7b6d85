"""Who sees a draft through the API: its team, with a token. For everyone else it does not exist."""

import pytest

from samen.initiatives.models import Update

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

SEES_DRAFT = {"owner": True, "team": True, "member": False, "outsider": False, "anonymous": False}


@pytest.mark.parametrize(("role", "sees"), SEES_DRAFT.items())
def test_a_draft_is_seen_by_its_team_only(draft, people, role, sees):
    update = Update.objects.create(initiative=draft, author=people["owner"], title="Plans", body="Soon.")
    client = ApiClient(people[role])
    paths = [
        f"/api/initiatives/{draft.slug}",
        f"/api/initiatives/{draft.slug}/updates",
        f"/api/initiatives/{draft.slug}/updates/{update.pk}",
    ]
    for path in paths:
        response = client.get(path)
        if sees:
            assert response.status_code == 200, (role, path)
        else:
            # Exactly like an address where nothing is: no hint that a draft exists.
            body = assert_json_error(response, 404)
            assert body == ApiClient().get("/api/initiatives/no-such-thing").json()


@pytest.mark.parametrize("role", SEES_DRAFT)
def test_a_draft_is_never_in_the_list(draft, people, role):
    assert ApiClient(people[role]).get("/api/initiatives").json()["count"] == 0


@pytest.mark.parametrize("role", SEES_DRAFT)
def test_a_public_initiative_is_seen_by_everyone(initiative, people, role):
    assert ApiClient(people[role]).get(f"/api/initiatives/{initiative.slug}").status_code == 200
