"""POST /api/initiatives and PATCH /api/initiatives/{slug}: any member starts one; its team changes it."""

import pytest

from samen.core.access import Role
from samen.initiatives.access import role_for
from samen.initiatives.models import Initiative

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

NEW = {
    "title": "Solar lamps for Jacmel",
    "summary": "Lamps that charge in the sun, for homes without power.",
    "story": "## Why\n\nEvenings are **dark**.",
    "causes": ["environment", "community"],
    "place": {"name": "Jacmel", "latitude": 18.2341, "longitude": -72.5347},
}


def test_any_member_starts_an_initiative_and_owns_it(outsider):
    response = ApiClient(outsider).post("/api/initiatives", NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "solar-lamps-for-jacmel"
    assert body["status"] == "draft"  # nothing goes public by accident
    assert body["viewer_role"] == "owner"
    assert "<h2>Why</h2>" in body["story_html"]
    assert body["place"] == {"name": "Jacmel", "latitude": 18.2341, "longitude": -72.5347}
    initiative = Initiative.objects.get(slug=body["slug"])
    assert initiative.created_by == outsider
    assert role_for(outsider, initiative) == Role.OWNER


def test_it_can_start_open_and_the_slug_stays_unique(outsider):
    client = ApiClient(outsider)
    first = client.post("/api/initiatives", NEW | {"status": "open"}).json()
    second = client.post("/api/initiatives", NEW).json()
    assert first["status"] == "open"
    assert second["slug"] != first["slug"]
    assert ApiClient().get("/api/initiatives").json()["count"] == 1


def test_it_needs_a_token_to_start_one(db):
    assert_json_error(ApiClient().post("/api/initiatives", NEW), 401)
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"causes": ["astrology"]}, "causes"),
        ({"status": "closed"}, "status"),  # one starts as a draft or open
        ({"status": "sleeping"}, "status"),
        ({"place": {"name": "Nowhere", "latitude": 91, "longitude": 0}}, "latitude"),
        ({"place": {"name": "Nowhere", "latitude": 0, "longitude": -180.5}}, "longitude"),
        ({"place": {"name": "Half", "latitude": 10}}, "__all__"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 141}, "title"),
    ],
)
def test_it_explains_input_that_makes_no_sense(outsider, change, field):
    body = assert_json_error(ApiClient(outsider).post("/api/initiatives", NEW | change), 400)
    assert field in body["errors"], body
    assert not Initiative.objects.exists()


def test_latitude_out_of_range_says_so(outsider):
    payload = NEW | {"place": {"name": "Pole", "latitude": 200, "longitude": 0}}
    body = assert_json_error(ApiClient(outsider).post("/api/initiatives", payload), 400)
    assert "Latitude must be between -90 and 90." in body["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {"summary": "No title"},
        {"title": "No summary"},
        NEW | {"causes": "water"},
        NEW | {"place": {"latitude": "north"}},
    ],
)
def test_it_refuses_the_wrong_shape_with_a_readable_message(outsider, payload):
    body = assert_json_error(ApiClient(outsider).post("/api/initiatives", payload), 422)
    assert body["detail"].startswith("Some fields are missing or invalid.")
    assert body["errors"]


def test_it_refuses_a_body_that_is_not_json(outsider):
    client = ApiClient(outsider)
    response = client.client.post(
        "/api/initiatives",
        "title=x",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {client.raw_token}"},
    )
    assert response.status_code in {400, 422}
    assert isinstance(response.json()["detail"], str)


CAN_CHANGE = {"owner": 200, "team": 200, "member": 403, "outsider": 403}


@pytest.mark.parametrize(("role", "status"), CAN_CHANGE.items())
def test_the_team_changes_an_initiative(initiative, people, role, status):
    response = ApiClient(people[role]).patch(
        f"/api/initiatives/{initiative.slug}", {"summary": "Water points, run by residents, now in 3 wards."}
    )
    initiative.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert (
            response.json()["summary"]
            == initiative.summary
            == "Water points, run by residents, now in 3 wards."
        )
    else:
        body = assert_json_error(response, 403)
        assert "team" in body["detail"]
        assert initiative.summary == "Water points and hygiene lessons, run by residents."


def test_anonymous_changes_nothing(initiative):
    assert_json_error(ApiClient().patch(f"/api/initiatives/{initiative.slug}", {"title": "Mine"}), 401)


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_outside_the_team_a_draft_cannot_be_changed_or_found(draft, people, role):
    assert_json_error(ApiClient(people[role]).patch(f"/api/initiatives/{draft.slug}", {"title": "x"}), 404)


def test_a_patch_changes_only_what_it_sends(initiative, team_member):
    ApiClient(team_member).patch(
        f"/api/initiatives/{initiative.slug}", {"causes": ["water"], "place": {"name": "Kibera"}}
    )
    initiative.refresh_from_db()
    assert initiative.causes == ["water"]
    assert initiative.place_name == "Kibera"
    assert initiative.title == "Clean water for Kibera"
    assert initiative.story == "We are **residents** of Kibera."


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("team", 403)])
def test_only_an_owner_changes_the_status(initiative, people, role, status):
    response = ApiClient(people[role]).patch(f"/api/initiatives/{initiative.slug}", {"status": "closed"})
    initiative.refresh_from_db()
    if status == 200:
        assert response.status_code == 200 and initiative.status == "closed"
    else:
        body = assert_json_error(response, 403)
        assert "owner" in body["detail"]
        assert initiative.status == "open"


def test_a_bad_status_leaves_the_other_changes_unmade(initiative, owner):
    response = ApiClient(owner).patch(
        f"/api/initiatives/{initiative.slug}", {"title": "New", "status": "gone"}
    )
    body = assert_json_error(response, 400)
    assert "status" in body["errors"]
    initiative.refresh_from_db()
    assert initiative.title == "Clean water for Kibera"


def test_an_owner_can_take_an_initiative_back_to_draft(initiative, owner):
    ApiClient(owner).patch(f"/api/initiatives/{initiative.slug}", {"status": "draft"})
    assert ApiClient().get(f"/api/initiatives/{initiative.slug}").status_code == 404
