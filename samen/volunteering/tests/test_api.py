"""The volunteering API: opportunities, participation and hours, with JSON errors."""

import json

import pytest
from django.test import Client

from samen.api.models import ApiToken
from samen.impact.models import Contribution
from samen.volunteering.models import Opportunity, Participation, TimeEntry

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, person=None):
        self.client = Client()
        self.headers = {}
        if person is not None:
            _, raw = ApiToken.issue(person, "tests")
            self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path):
        return self.client.get(f"/api{path}", headers=self.headers)

    def post(self, path, payload=None):
        return self.client.post(
            f"/api{path}", json.dumps(payload or {}), content_type="application/json", headers=self.headers
        )


def error(response, status):
    assert response.status_code == status, response.content
    assert isinstance(response.json()["detail"], str)
    return response.json()


def test_open_tasks_are_public(opportunity):
    body = Api().get("/opportunities").json()
    assert [item["code"] for item in body["items"]] == ["TRAN1"]
    assert body["items"][0]["initiative"] == "clean-water-kibera"


def test_the_team_adds_a_task(initiative, owner, outsider):
    payload = {"title": "Map the water points", "skills": ["mapping"], "mode": "online", "hours_needed": 5}
    response = Api(owner).post(f"/initiatives/{initiative.slug}/opportunities", payload)
    assert response.status_code == 201
    assert Opportunity.objects.get().terms["skills"] == ["skill:mapping"]
    error(Api(outsider).post(f"/initiatives/{initiative.slug}/opportunities", payload), 403)
    error(
        Api(owner).post(f"/initiatives/{initiative.slug}/opportunities", {**payload, "hours_needed": 0}), 422
    )
    error(Api(owner).post(f"/initiatives/{initiative.slug}/opportunities", {**payload, "mode": "moon"}), 400)


def test_join_decide_log_and_confirm(opportunity, member, owner, outsider):
    mia, olga = Api(member), Api(owner)
    first = mia.post(f"/opportunities/{opportunity.pk}/participations", {"motivation": "Ik spreek Frans."})
    assert first.status_code == 201
    again = mia.post(f"/opportunities/{opportunity.pk}/participations", {})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    participation = first.json()["id"]

    error(mia.post(f"/participations/{participation}/hours", {"hours": 1}), 400)  # not accepted yet
    error(Api(outsider).post(f"/participations/{participation}/decision", {"accept": True}), 404)
    assert (
        olga.post(f"/participations/{participation}/decision", {"accept": True}).json()["state"] == "accepted"
    )

    error(mia.post(f"/participations/{participation}/hours", {"hours": 0}), 422)
    error(mia.post(f"/participations/{participation}/hours", {"hours": 30}), 422)
    logged = mia.post(
        f"/participations/{participation}/hours", {"hours": 2.5, "note": "Posters", "external_id": "a1"}
    )
    assert logged.status_code == 201 and logged.json()["minutes"] == 150
    assert (
        mia.post(f"/participations/{participation}/hours", {"hours": 2.5, "external_id": "a1"}).status_code
        == 200
    )
    assert TimeEntry.objects.count() == 1

    entry = logged.json()["id"]
    error(mia.post(f"/hours/{entry}/decision", {"confirm": True}), 404)
    assert olga.post(f"/hours/{entry}/decision", {"confirm": True}).json()["state"] == "confirmed"
    assert Contribution.objects.get().minutes == 150
    assert [row["minutes"] for row in mia.get(f"/participations/{participation}/hours").json()] == [150]


def test_participations_are_private(opportunity, member, owner, outsider):
    Api(member).post(f"/opportunities/{opportunity.pk}/participations", {"motivation": "secret"})
    assert [
        p["motivation"] for p in Api(owner).get(f"/opportunities/{opportunity.pk}/participations").json()
    ] == ["secret"]
    assert Api(outsider).get(f"/opportunities/{opportunity.pk}/participations").json() == []
    error(Api().get(f"/opportunities/{opportunity.pk}/participations"), 401)


def test_suggestions_say_why(opportunity, outsider):
    outsider.skills = ["translation", "Dutch"]
    outsider.save()
    body = Api(outsider).get("/opportunities/suggested").json()
    assert body[0]["opportunity"]["code"] == "TRAN1"
    assert body[0]["reasons"][0] == "matches your skills: Dutch, translation"


def test_withdraw(opportunity, member):
    joined = Api(member).post(f"/opportunities/{opportunity.pk}/participations").json()
    assert Api(member).post(f"/participations/{joined['id']}/withdraw").json()["state"] == "withdrawn"
    assert Participation.objects.get().state == "withdrawn"
