"""The giving API: campaigns and leaderboards (public), pledges (token), donations (team token)."""

import json

import pytest
from django.test import Client

from samen.api.models import ApiToken
from samen.giving import actions
from samen.giving.models import Donation, MatchingFund

pytestmark = pytest.mark.django_db


def api(person=None):
    client = Client()
    headers = {}
    if person is not None:
        _, raw = ApiToken.issue(person, "tests")
        headers["Authorization"] = f"Bearer {raw}"

    def call(method, path, payload=None):
        if method == "get":
            return client.get(path, headers=headers)
        return client.post(path, json.dumps(payload), content_type="application/json", headers=headers)

    return call


def test_campaigns_and_the_leaderboard_are_public(campaign, project, promoter, initiative):
    MatchingFund.objects.create(campaign=campaign, sponsor="Bank", cap_minor=1000)
    actions.create_donation(
        initiative, amount_minor=2500, currency="EUR", email="a@example.org", promoter=promoter
    )
    call = api()

    listed = call("get", "/api/campaigns").json()
    detail = call("get", f"/api/campaigns/{campaign.slug}").json()
    board = call("get", f"/api/campaigns/{campaign.slug}/leaderboard").json()

    assert [c["slug"] for c in listed] == [campaign.slug]
    assert (detail["raised_minor"], detail["matched_minor"], detail["total_minor"]) == (2500, 1000, 3500)
    assert detail["matching"] == [{"sponsor": "Bank", "cap_minor": 1000, "matched_minor": 1000}]
    assert board["running"] and board["seconds_left"] > 0
    assert board["promoters"][0]["name"] == "Mia Member" and board["promoters"][0]["raised_minor"] == 2500
    assert board["projects"][0]["initiative"] == initiative.slug
    assert call("get", "/api/campaigns/nope/leaderboard").status_code == 404


def test_a_pledge_through_the_api_is_credited_to_a_promoter(outsider, initiative, promoter):
    response = api(outsider)(
        "post",
        f"/api/initiatives/{initiative.slug}/pledges",
        {"amount_minor": 1500, "currency": "EUR", "promoter": promoter.pk, "anonymous": True},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["provider"], body["campaign"], body["promoter"]) == (
        "pending",
        "pledge",
        "24-hour-action",
        promoter.pk,
    )
    donation = Donation.objects.get()
    assert (donation.email, donation.member, donation.anonymous) == (outsider.email, outsider, True)
    promoter.refresh_from_db()
    assert promoter.raised_minor == 1500


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount_minor": 50, "currency": "EUR"}, "amount"),
        ({"amount_minor": 5000, "currency": "XYZ"}, "currency"),
        ({"amount_minor": 5000, "currency": "EUR", "email": "not-an-address"}, "email"),
        ({"amount_minor": 5000, "currency": "EUR", "promoter": 999999}, "promoter"),
    ],
)
def test_bad_pledges_are_refused_with_json(outsider, initiative, payload, field):
    response = api(outsider)("post", f"/api/initiatives/{initiative.slug}/pledges", payload)

    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(field)
    assert not Donation.objects.exists()


def test_pledging_needs_a_token(initiative):
    response = api()(
        "post", f"/api/initiatives/{initiative.slug}/pledges", {"amount_minor": 5000, "currency": "EUR"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("role", "status"), {"owner": 200, "team": 200, "member": 403, "outsider": 403}.items()
)
def test_donations_list_is_for_the_team(people, initiative, role, status):
    actions.create_donation(initiative, amount_minor=1000, currency="EUR", email="secret@example.org")

    response = api(people[role])("get", f"/api/initiatives/{initiative.slug}/donations")

    assert response.status_code == status
    if status == 200:
        assert response.json()[0]["email"] == "secret@example.org"
