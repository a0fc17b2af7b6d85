"""Expertise routing: members who opted in and have a wanted skill are invited, once; the team sees counts."""

import pytest

from conftest import make_member
from samen.plans import actions
from samen.plans.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def experts(db):
    return {
        "fiona": make_member("fiona@example.org", "Fiona Finance", skills=["Finance", "cooking"]),
        "bob": make_member("bob@example.org", "Bob Books", skills=["bookkeeping"]),
        "shy": make_member("shy@example.org", "Shy", skills=["finance"], open_to_invitations=False),
        "gone": make_member("gone@example.org", "Gone", skills=["finance"], is_active=False),
        "cook": make_member("cook@example.org", "Cook", skills=["cooking"]),
    }


def test_matching_members_who_opted_in_are_invited_by_email_once(
    client_as, owner, experts, budget, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(owner).post(f"/plans/sections/{budget.pk}/invite/")
    assert response.status_code == 302
    invited = set(Invitation.objects.values_list("member__email", flat=True))
    assert invited == {"fiona@example.org", "bob@example.org"}
    assert Invitation.objects.get(member=experts["fiona"]).skills == ["Finance"]
    assert sorted(m.to[0] for m in mailoutbox) == ["bob@example.org", "fiona@example.org"]
    assert all("[ref:p" in m.subject for m in mailoutbox)
    assert actions.invite_experts(budget) == 0  # nobody twice


def test_the_team_sees_invited_and_reacted_counts(client_as, owner, experts, budget):
    actions.invite_experts(budget)
    actions.add_reaction(budget, experts["fiona"], "Check the exchange rate.")
    actions.add_reaction(budget, experts["cook"], "Not invited, reacted anyway.")
    assert actions.routing_counts(budget) == {"invited": 2, "reacted": 1}
    page = client_as(owner).get(budget.get_absolute_url()).content.decode()
    assert "Invited for their expertise: 2; of them reacted: 1." in page
    public = client_as(None).get(budget.get_absolute_url()).content.decode()
    assert "Invited for their expertise" not in public


def test_only_the_team_invites(client_as, people, experts, budget):
    for name in ("member", "outsider"):
        assert client_as(people[name]).post(f"/plans/sections/{budget.pk}/invite/").status_code == 403
    assert not Invitation.objects.exists()


def test_team_members_are_not_invited_to_their_own_plan(owner, budget):
    budget.expertise = ["fundraising"]  # Olga's skill
    budget.save()
    assert actions.invite_experts(budget) == 0
