"""Suggested edits → new versions; diffs between any two versions; two accepts at once on one section."""

import pytest
from django.core.exceptions import ValidationError

from samen.impact.models import Contribution
from samen.plans import actions
from samen.plans.actions import StaleSection
from samen.plans.models import Section, Suggestion

pytestmark = pytest.mark.django_db


def test_a_member_suggests_and_the_team_accepts_making_a_new_version(client_as, owner, member, budget):
    response = client_as(member).post(
        f"/plans/sections/{budget.pk}/suggest/",
        {"body": "Pipes cost KES 35,000 in Nakuru.", "note": "Cheaper"},
    )
    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.state == "pending"

    response = client_as(owner).post(f"/plans/suggestions/{suggestion.pk}/accept/")
    assert response.status_code == 302
    budget.refresh_from_db()
    suggestion.refresh_from_db()
    plan = budget.plan
    plan.refresh_from_db()
    assert budget.body == "Pipes cost KES 35,000 in Nakuru."
    assert "35,000" in str(budget.body_html)
    assert plan.version == 2 and suggestion.version.number == 2
    assert [v.number for v in plan.versions.all()] == [2, 1]

    line = Contribution.objects.get()
    assert (line.kind, line.member, line.source) == ("knowledge", member, "plans.suggestion")


def test_the_diff_shows_what_changed_accessibly(client, owner, member, budget):
    suggestion = actions.propose(budget, member, body="Pipes cost KES 35,000.\nTaps are extra.")
    actions.accept(suggestion, owner)
    page = client.get(f"/plans/{budget.plan_id}/diff/?from=1&to=2").content.decode()
    assert '<del><span class="visually-hidden">Removed: </span>' in page
    assert "Pipes cost KES 40,000." in page
    assert '<ins><span class="visually-hidden">Added: </span>' in page
    assert "Taps are extra." in page
    assert "2 lines added, 1 lines removed." in page


def test_any_two_versions_can_be_compared_either_way(client, owner, member, sections):
    actions.accept(actions.propose(sections["Budget"], member, body="v2 budget"), owner)
    actions.accept(actions.propose(sections["Building"], member, body="v3 building"), owner)
    page = client.get(f"/plans/{sections['Budget'].plan_id}/diff/?from=1&to=3").content.decode()
    assert "v2 budget" in page and "v3 building" in page
    backwards = client.get(f"/plans/{sections['Budget'].plan_id}/diff/?from=3&to=1").content.decode()
    assert 'Removed: </span><span aria-hidden="true">− </span>v3 building' in backwards
    assert client.get(f"/plans/{sections['Budget'].plan_id}/diff/?from=1&to=9").status_code == 404


def test_the_history_is_public(client, owner, member, budget):
    actions.accept(actions.propose(budget, member, body="New"), owner)
    page = client.get(f"/plans/{budget.plan_id}/history/").content.decode()
    assert "Version 2" in page and "Version 1" in page and "Accepted a suggestion by Mia Member" in page
    assert client.get(f"/plans/{budget.plan_id}/history/1/").status_code == 200


def test_the_second_of_two_suggestions_accepted_at_once_is_refused_and_kept(
    client_as, owner, team_member, member, outsider, budget
):
    first = actions.propose(budget, member, body="Text by Mia")
    second = actions.propose(budget, outsider, body="Text by Otto")
    # Both team members opened the section page at the same time; Olga clicks first.
    assert client_as(owner).post(f"/plans/suggestions/{first.pk}/accept/").status_code == 302
    response = client_as(team_member).post(f"/plans/suggestions/{second.pk}/accept/", follow=True)
    page = response.content.decode()
    assert "Someone changed this section after this text was written" in page
    budget.refresh_from_db()
    second.refresh_from_db()
    assert budget.body == "Text by Mia"
    assert second.state == "pending" and second.body == "Text by Otto"  # nothing lost
    assert budget.plan.versions.count() == 2


def test_the_version_check_is_in_the_database_update(owner, member, budget):
    """What a concurrent accept sees: the row's version moved between reading it and writing it."""
    suggestion = actions.propose(budget, member, body="Mine")
    Section.objects.filter(pk=budget.pk).update(version=budget.version + 1, body="Someone else's")
    with pytest.raises(StaleSection):
        actions.accept(suggestion, owner)
    budget.refresh_from_db()
    suggestion.refresh_from_db()
    assert budget.body == "Someone else's" and suggestion.state == "pending"
    assert budget.plan.versions.count() == 1


def test_a_decided_suggestion_cannot_be_decided_again(owner, member, budget):
    suggestion = actions.propose(budget, member, body="Mine")
    actions.reject(suggestion, owner)
    with pytest.raises(ValidationError):
        actions.accept(suggestion, owner)


def test_only_the_team_decides(client_as, people, budget):
    suggestion = actions.propose(budget, people["member"], body="Mine")
    for name in ("member", "outsider"):
        assert client_as(people[name]).post(f"/plans/suggestions/{suggestion.pk}/accept/").status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.state == "pending"


def test_a_stale_team_edit_is_refused_too(client_as, owner, member, budget):
    old_version = budget.version
    actions.accept(actions.propose(budget, member, body="Accepted meanwhile"), owner)
    response = client_as(owner).post(
        f"/plans/sections/{budget.pk}/edit/",
        {"heading": "Budget", "body": "My old edit", "expertise": "", "version": old_version},
    )
    assert response.status_code == 200
    assert "Someone changed this section" in response.content.decode()
    budget.refresh_from_db()
    assert budget.body == "Accepted meanwhile"


def test_the_team_adds_and_edits_sections_in_the_browser(client_as, owner, plan, sections):
    client = client_as(owner)
    response = client.post(
        f"/plans/{plan.pk}/sections/new/",
        {"heading": "Taxes", "body": "VAT", "expertise": "tax law", "parent": sections["Money"].pk},
    )
    assert response.status_code == 302
    new = Section.objects.get(heading="Taxes")
    assert new.parent == sections["Money"] and new.depth == 2 and new.expertise == ["tax law"]
    order = list(plan.sections.order_by("position").values_list("heading", flat=True))
    assert order == ["Money", "Budget", "Fundraising", "Taxes", "Building"]
    response = client.post(
        f"/plans/sections/{new.pk}/edit/",
        {"heading": "Taxes", "body": "VAT and levies", "version": new.version},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 3
