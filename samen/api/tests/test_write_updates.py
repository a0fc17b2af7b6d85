"""POST /api/initiatives/{slug}/updates: the team posts; followers are mailed exactly as from the web."""

import pytest
from django.core import mail

from samen.initiatives.models import Update

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

UPDATE = {"title": "Three wells dug", "body": "Thanks to **everyone** who came."}
CAN_POST = {"owner": 201, "team": 201, "member": 403, "outsider": 403}


@pytest.mark.parametrize(("role", "status"), CAN_POST.items())
def test_the_team_posts_updates(initiative, people, role, status, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ApiClient(people[role]).post(f"/api/initiatives/{initiative.slug}/updates", UPDATE)
    if status == 201:
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["title"] == "Three wells dug"
        assert "<strong>everyone</strong>" in body["body_html"]
        update = Update.objects.get(pk=body["id"])
        assert update.author == people[role] and update.initiative == initiative
    else:
        assert_json_error(response, 403)
        assert not Update.objects.exists()


def test_followers_get_the_update_by_email(initiative, owner, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ApiClient(owner).post(f"/api/initiatives/{initiative.slug}/updates", UPDATE)
    assert response.status_code == 201
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert "Three wells dug" in mail.outbox[0].subject
    assert Update.objects.get().mailed_at is not None


def test_anonymous_posts_nothing(initiative):
    assert_json_error(ApiClient().post(f"/api/initiatives/{initiative.slug}/updates", UPDATE), 401)


def test_outside_the_team_a_drafts_updates_cannot_be_posted(draft, member):
    assert_json_error(ApiClient(member).post(f"/api/initiatives/{draft.slug}/updates", UPDATE), 404)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"title": "  ", "body": "text"}, 400),
        ({"title": "x" * 141, "body": "text"}, 400),
        ({"title": "Empty", "body": ""}, 400),
        ({"title": "No body"}, 422),
    ],
)
def test_it_explains_a_bad_update(initiative, owner, payload, status):
    assert_json_error(ApiClient(owner).post(f"/api/initiatives/{initiative.slug}/updates", payload), status)
    assert not Update.objects.exists()
