"""API test helpers: a JSON client that carries a person's token, on top of the named people."""

import json

import pytest
from django.test import Client

from samen.api.models import ApiToken
from samen.initiatives.models import Initiative


class ApiClient:
    """Speaks JSON to /api/, as `person` (through a fresh personal token) or anonymously."""

    def __init__(self, person=None, raw_token: str | None = None):
        self.client = Client()
        self.raw_token = raw_token
        if person is not None and raw_token is None:
            _, self.raw_token = ApiToken.issue(person, "tests")

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.raw_token}"} if self.raw_token else {}
        return base | (headers or {})

    def get(self, path, data=None, headers=None):
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path, payload, headers=None):
        return self.client.post(
            path, json.dumps(payload), content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path, payload, headers=None):
        return self.client.patch(
            path, json.dumps(payload), content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path, headers=None):
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def api_as():
    return ApiClient


@pytest.fixture
def draft(initiative):
    Initiative.objects.filter(pk=initiative.pk).update(status=Initiative.Status.DRAFT)
    initiative.refresh_from_db()
    return initiative


def assert_json_error(response, status: int) -> dict:
    """Every error is JSON with a readable `detail` sentence."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str) and len(body["detail"]) > 5, body
    return body
