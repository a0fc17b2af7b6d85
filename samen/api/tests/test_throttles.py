"""API writes are throttled per token's member: JSON 429 with Retry-After; reading is not counted.

The same limit holds across processes: tests/test_throttles_across_processes.py.
"""

import pytest

from samen.initiatives.models import Update

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db

UPDATE = {"title": "Three wells dug", "body": "Thanks to everyone who came."}


def test_writes_past_the_limit_get_json_429_and_change_nothing(throttles, initiative, owner):
    throttles(api_write="2/h")
    client = ApiClient(owner)
    path = f"/api/initiatives/{initiative.slug}/updates"

    answers = [client.post(path, UPDATE | {"title": f"Well {n}"}) for n in range(3)]

    assert [answer.status_code for answer in answers] == [201, 201, 429]
    body = assert_json_error(answers[2], 429)
    assert body["retry_after"] == int(answers[2]["Retry-After"]) > 0
    assert Update.objects.count() == 2
    # Every kind of write counts against the same limit; reading does not count at all.
    assert client.patch(f"/api/initiatives/{initiative.slug}", {"summary": "New"}).status_code == 429
    assert all(client.get(f"/api/initiatives/{initiative.slug}").status_code == 200 for _ in range(5))


def test_each_member_has_a_limit_of_their_own(throttles, initiative, owner, team_member):
    throttles(api_write="1/h")
    path = f"/api/initiatives/{initiative.slug}/updates"

    assert ApiClient(owner).post(path, UPDATE).status_code == 201
    assert ApiClient(owner).post(path, UPDATE).status_code == 429  # another token, the same member
    assert ApiClient(team_member).post(path, UPDATE).status_code == 201
