"""Who sees and does what: plans are as public as their initiative; changing them is for the team."""

import pytest

from samen.plans import actions

pytestmark = pytest.mark.django_db

ROLES = ("owner", "team", "member", "outsider", "anonymous")


def pages(plan, section, reaction):
    return [
        f"/plans/initiative/{plan.initiative.slug}/",
        plan.get_absolute_url(),
        f"/plans/{plan.pk}/history/",
        f"/plans/{plan.pk}/history/1/",
        f"/plans/{plan.pk}/diff/?from=1&to=1",
        section.get_absolute_url(),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_of_an_open_initiative_are_for_everyone(client_as, people, budget, role):
    reaction = actions.add_reaction(budget, people["member"], "Hi")
    for path in pages(budget.plan, budget, reaction):
        assert client_as(people[role]).get(path).status_code == 200, path


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_initiatives_plan_does_not_exist_for_those_outside_the_team(client_as, people, budget, role):
    reaction = actions.add_reaction(budget, people["member"], "Hi")
    budget.plan.initiative.set_status("draft")
    expected = 200 if role in ("owner", "team") else 404
    for path in pages(budget.plan, budget, reaction):
        assert client_as(people[role]).get(path).status_code == expected, (path, role)


TEAM_ONLY = {"owner": 200, "team": 200, "member": 403, "outsider": 403, "anonymous": 302}


@pytest.mark.parametrize("role", ROLES)
def test_team_pages(client_as, people, budget, role):
    reaction = actions.add_reaction(budget, people["member"], "Hi")
    slug = budget.plan.initiative.slug
    for path in (
        f"/plans/{budget.plan_id}/sections/new/",
        f"/plans/sections/{budget.pk}/edit/",
        f"/plans/reactions/{reaction.pk}/answer/",
        f"/plans/initiative/{slug}/ask/",
        f"/plans/initiative/{slug}/to-answer/",
    ):
        assert client_as(people[role]).get(path).status_code == TEAM_ONLY[role], (path, role)


def test_pending_suggestions_are_seen_by_the_team_and_their_author_only(client_as, people, budget):
    actions.propose(budget, people["member"], body="Secret draft text")
    for role, sees in {
        "owner": True,
        "team": True,
        "member": True,
        "outsider": False,
        "anonymous": False,
    }.items():
        page = client_as(people[role]).get(budget.get_absolute_url()).content.decode()
        assert ("Secret draft text" in page) == sees, role


def test_signing_in_is_needed_to_react_or_suggest(client, budget):
    assert client.post(f"/plans/sections/{budget.pk}/react/", {"body": "x"}).status_code == 302
    assert client.get(f"/plans/sections/{budget.pk}/suggest/").status_code == 302
    assert not budget.reactions.exists()


def test_the_initiative_page_links_to_the_plans_without_queries(
    client_as, owner, initiative, django_assert_num_queries
):
    from django.template.loader import render_to_string

    with django_assert_num_queries(0):
        html = render_to_string(
            "plans/_initiative_links.html", {"initiative": initiative, "is_team": True, "user": owner}
        )
    assert f"/plans/initiative/{initiative.slug}/" in html and "/to-answer/" in html


def test_the_hand_written_plan_query_matches_the_orm(plan, owner):
    from samen.plans.access import get_plan_for_viewer
    from samen.plans.models import Plan

    fetched, role = get_plan_for_viewer(owner, plan.pk)
    expected = Plan.objects.select_related("initiative").get(pk=plan.pk)
    for field in Plan._meta.concrete_fields:
        assert getattr(fetched, field.attname) == getattr(expected, field.attname), field.name
    for name in ("id", "slug", "title", "status"):
        assert getattr(fetched.initiative, name) == getattr(expected.initiative, name), name
    assert role == 4
    assert str(fetched.intro_html) == str(expected.intro_html)
