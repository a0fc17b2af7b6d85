"""Every error under /api/ is JSON with a readable `detail`; no HTML error page leaks."""

import json

import pytest

from samen.api import errors

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db


def test_401_without_a_token(initiative):
    assert_json_error(ApiClient().patch(f"/api/initiatives/{initiative.slug}", {"title": "x"}), 401)


def test_401_with_a_bad_token(initiative):
    assert_json_error(ApiClient(raw_token="smn_nope").post("/api/initiatives", {}), 401)


def test_403_for_someone_outside_the_team(initiative, outsider):
    body = assert_json_error(
        ApiClient(outsider).post(f"/api/initiatives/{initiative.slug}/updates", {"title": "t", "body": "b"}),
        403,
    )
    assert body["detail"] == errors.FORBIDDEN


@pytest.mark.parametrize(
    "path",
    [
        "/api/initiatives/not-there",
        "/api/initiatives/not-there/updates",
        "/api/initiatives/not-there/updates/1",
        "/api/nothing/here",
        "/api/initiatives/clean-water-kibera/elsewhere",
    ],
)
def test_404_is_json_wherever_it_happens(initiative, path):
    body = assert_json_error(ApiClient().get(path), 404)
    assert body["detail"] == errors.NOT_FOUND
    assert "Initiative" not in body["detail"]  # no hint about models behind the address


@pytest.mark.parametrize(
    ("method", "path"), [("delete", "/api/initiatives/clean-water-kibera"), ("delete", "/api/me")]
)
def test_405_is_json_and_says_what_is_allowed(initiative, method, path):
    response = getattr(ApiClient(), method)(path)
    body = assert_json_error(response, 405)
    assert "DELETE" in body["detail"] and "GET" in response["Allow"]


def test_422_has_a_readable_message_and_the_details(owner):
    body = assert_json_error(ApiClient(owner).post("/api/initiatives", {"summary": 3}), 422)
    assert "title: Field required" in body["detail"]
    assert "summary: " in body["detail"]
    assert {tuple(error["loc"]) for error in body["errors"]} >= {("body", "payload", "title")}


def test_422_for_a_path_parameter_of_the_wrong_type(initiative):
    body = assert_json_error(ApiClient().get(f"/api/initiatives/{initiative.slug}/updates/seven"), 422)
    assert body["detail"].startswith("Some fields are missing or invalid. update_id: ")


def test_400_for_broken_json(owner):
    client = ApiClient(owner)
    response = client.client.post(
        "/api/initiatives",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.raw_token}"},
    )
    assert_json_error(response, 400)


def test_400_names_the_field_and_says_what_is_wrong(owner):
    body = assert_json_error(
        ApiClient(owner).post("/api/initiatives", {"title": "T", "summary": "S", "causes": ["astrology"]}),
        400,
    )
    assert body["detail"].startswith("causes: ")
    assert "astrology" in body["detail"]
    assert list(body["errors"]) == ["causes"]


def test_500_is_json_too_and_hides_the_cause(initiative, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("samen.api.routers.initiatives.search_initiatives", explode)
    body = assert_json_error(ApiClient().get("/api/initiatives"), 500)
    assert body["detail"] == errors.SERVER_ERROR
    assert "hunter2" not in json.dumps(body)
    assert "hunter2" in caplog.text  # but the operators can see it
