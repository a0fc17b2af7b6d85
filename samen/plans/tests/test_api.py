"""The plans API: create plans, sections and reactions with a token; read the answer state."""

import pytest

from samen.api.tests.conftest import ApiClient, assert_json_error
from samen.plans import actions
from samen.plans.models import Plan, Reaction

pytestmark = pytest.mark.django_db


def test_the_team_creates_a_plan_from_markdown(owner, initiative):
    response = ApiClient(owner).post(
        f"/api/initiatives/{initiative.slug}/plans",
        {"title": "API plan", "markdown": "# One\nText\n## Two\n", "answer_days": 5},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "API plan" and body["version"] == 1 and body["answer_days"] == 5
    assert [(s["number"], s["heading"], s["depth"]) for s in body["sections"]] == [
        ("1", "One", 1),
        ("1.1", "Two", 2),
    ]
    assert Plan.objects.get().created_by == owner


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("outsider", 403)])
def test_others_cannot_create_plans(people, initiative, role, status):
    response = ApiClient(people[role]).post(f"/api/initiatives/{initiative.slug}/plans", {"title": "x"})
    assert_json_error(response, status)
    assert_json_error(ApiClient().post(f"/api/initiatives/{initiative.slug}/plans", {"title": "x"}), 401)


def test_the_team_adds_a_section(owner, plan, sections):
    response = ApiClient(owner).post(
        f"/api/plans/{plan.pk}/sections",
        {"heading": "Risks", "body": "Floods", "expertise": ["hydrology"], "parent": sections["Building"].pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["depth"] == 2 and response.json()["expertise"] == ["hydrology"]
    bad = ApiClient(owner).post(f"/api/plans/{plan.pk}/sections", {"heading": "x", "parent": 999999})
    assert_json_error(bad, 400)


def test_a_member_reacts_and_reads_the_answer_state(owner, member, budget):
    client = ApiClient(member)
    response = client.post(f"/api/sections/{budget.pk}/reactions", {"body": "Via the API"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "open" and created["due_at"] and created["author"] == "Mia Member"
    reaction = Reaction.objects.get(pk=created["id"])
    assert reaction.via == "api"

    actions.answer_reaction(reaction, owner, state="adopted", answer="Thanks!")
    state = ApiClient().get(f"/api/reactions/{reaction.pk}").json()
    assert (state["state"], state["answer"]) == ("adopted", "Thanks!")

    reply = client.post(f"/api/sections/{budget.pk}/reactions", {"body": "Reply", "parent": reaction.pk})
    assert reply.status_code == 201 and reply.json()["state"] is None and reply.json()["depth"] == 2
    listed = ApiClient().get(f"/api/sections/{budget.pk}/reactions").json()
    assert [r["body"] for r in listed] == ["Via the API", "Reply"]

    plan = ApiClient().get(f"/api/plans/{budget.plan_id}").json()
    row = next(s for s in plan["sections"] if s["id"] == budget.pk)
    assert (row["answered"], row["to_answer"], row["reactions"]) == (1, 1, 2)


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_oversized_reactions_get_a_400_with_a_detail(member, budget, body):
    response = ApiClient(member).post(f"/api/sections/{budget.pk}/reactions", {"body": body})
    assert_json_error(response, 400)
    assert not Reaction.objects.exists()


def test_a_reply_too_deep_or_elsewhere_is_refused(member, budget, sections):
    one = actions.add_reaction(budget, member, "1")
    two = actions.add_reaction(budget, member, "2", parent=one)
    three = actions.add_reaction(budget, member, "3", parent=two)
    client = ApiClient(member)
    assert_json_error(
        client.post(f"/api/sections/{budget.pk}/reactions", {"body": "4", "parent": three.pk}), 400
    )
    other = sections["Building"]
    assert_json_error(
        client.post(f"/api/sections/{other.pk}/reactions", {"body": "x", "parent": one.pk}), 400
    )


def test_a_draft_initiatives_plan_is_not_found_for_outsiders(people, budget):
    reaction = actions.add_reaction(budget, people["member"], "Hi")
    budget.plan.initiative.set_status("draft")
    for path in (
        f"/api/initiatives/{budget.plan.initiative.slug}/plans",
        f"/api/plans/{budget.plan_id}",
        f"/api/sections/{budget.pk}/reactions",
        f"/api/reactions/{reaction.pk}",
    ):
        assert_json_error(ApiClient(people["outsider"]).get(path), 404)
        assert_json_error(ApiClient().get(path), 404)
        assert ApiClient(people["team"]).get(path).status_code == 200
