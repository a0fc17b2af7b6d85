"""Bearer tokens: looked up by hash, refused when revoked or wrong, last use noted at most once a minute."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samen.api.models import ApiToken

from .conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db


def test_a_valid_token_signs_its_member_in(owner):
    response = ApiClient(owner).get("/api/me")
    assert response.status_code == 200
    assert response.json()["email"] == owner.email


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token smn_abc",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_it_asks_for_a_token_when_none_is_sent_properly(db, header):
    headers = {} if header is None else {"Authorization": header}
    body = assert_json_error(ApiClient().get("/api/me", headers=headers), 401)
    assert "Authorization: Bearer" in body["detail"]


def test_it_says_so_in_the_www_authenticate_header(db):
    response = ApiClient().get("/api/me")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("raw", ["smn_not-a-real-token", "not-even-our-prefix", "smn_" + "x" * 500])
def test_it_refuses_an_unknown_token(db, raw):
    body = assert_json_error(ApiClient(raw_token=raw).get("/api/me"), 401)
    assert "not valid" in body["detail"]


def test_it_refuses_a_revoked_token(owner):
    token, raw = ApiToken.issue(owner, "old")
    token.revoke()
    assert_json_error(ApiClient(raw_token=raw).get("/api/me"), 401)


def test_it_refuses_the_token_of_a_closed_account(owner):
    _, raw = ApiToken.issue(owner, "script")
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert_json_error(ApiClient(raw_token=raw).get("/api/me"), 401)


def test_a_bad_token_is_refused_even_where_no_token_is_needed(initiative):
    # A typo in a token must not quietly turn a team member into an anonymous reader.
    assert_json_error(ApiClient(raw_token="smn_typo").get("/api/initiatives"), 401)
    assert_json_error(ApiClient(raw_token="smn_typo").get(f"/api/initiatives/{initiative.slug}"), 401)


def test_last_use_is_written_at_most_once_a_minute(owner):
    token, raw = ApiToken.issue(owner, "busy")
    client = ApiClient(raw_token=raw)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/me")
        token.refresh_from_db()
        assert token.last_used_at == start

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        with CaptureQueriesContext(connection) as queries:
            client.get("/api/me")
        assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
        token.refresh_from_db()
        assert token.last_used_at == start

    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client.get("/api/me")
        token.refresh_from_db()
        assert token.last_used_at == later


def test_touch_writes_nothing_when_another_request_already_did(owner):
    token, _ = ApiToken.issue(owner, "raced")
    stale_copy = ApiToken.objects.get(pk=token.pk)
    assert token.touch() is True
    # The stale copy still thinks the token was never used; the conditional UPDATE knows better.
    assert stale_copy.touch() is False


def test_the_raw_token_is_never_stored(owner):
    token, raw = ApiToken.issue(owner, "secret")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in str(stored)
    assert raw.startswith("smn_") and token.prefix == raw[:10]
