"""Reactions on a section, threaded; the obligation to answer; answers by e-mail; knowledge given."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from samen.impact.models import Contribution
from samen.initiatives.models import TeamMember
from samen.messaging.models import OutboundMessage
from samen.plans import actions
from samen.plans.models import REACTION_MAX_CHARS, Reaction

pytestmark = pytest.mark.django_db


def post_reaction(client, section, body, parent=None):
    data = {"body": body}
    if parent:
        data["parent"] = parent.pk
    return client.post(f"/plans/sections/{section.pk}/react/", data)


def test_a_member_reacts_and_the_reaction_gets_an_owner_and_a_due_date(client_as, member, budget):
    before = timezone.now()
    response = post_reaction(client_as(member), budget, "Pipes are cheaper in Nakuru.")
    reaction = Reaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/sections/{budget.pk}/#reaction-{reaction.pk}"
    assert reaction.author == member and reaction.state == Reaction.State.OPEN
    assert reaction.owner is not None
    assert timedelta(days=3) <= reaction.due_at - before < timedelta(days=3, minutes=1)
    page = client_as(None).get(budget.get_absolute_url()).content.decode()
    assert "Pipes are cheaper in Nakuru." in page


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "an empty text cannot be posted"), ("x" * (REACTION_MAX_CHARS + 1), "at most 5,000 fit")],
)
def test_empty_or_oversized_reactions_are_refused_with_a_message(client_as, member, budget, body, message):
    response = post_reaction(client_as(member), budget, body)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Reaction.objects.exists()


def test_replies_nest_three_deep_and_no_deeper(member, outsider, budget):
    first = actions.add_reaction(budget, member, "One")
    second = actions.add_reaction(budget, outsider, "Two", parent=first)
    third = actions.add_reaction(budget, member, "Three", parent=second)
    assert [first.depth, second.depth, third.depth] == [1, 2, 3]
    assert second.owner is None and second.due_at is None  # only top-level reactions are answered
    with pytest.raises(Exception, match="at most 3 levels"):
        actions.add_reaction(budget, outsider, "Four", parent=third)


def test_the_database_refuses_a_reaction_deeper_than_three(member, budget):
    from django.db import IntegrityError

    first = actions.add_reaction(budget, member, "One")
    with pytest.raises(IntegrityError):
        Reaction.objects.create(section=budget, parent=first, depth=4, author=member, body="x")


def test_the_section_owner_gets_the_reactions_of_that_section(member, team_member, budget):
    budget.owner = team_member
    budget.save()
    reactions = [actions.add_reaction(budget, member, f"R{n}") for n in range(3)]
    assert {r.owner for r in reactions} == {team_member}


def test_without_a_section_owner_the_team_takes_turns(member, owner, team_member, budget):
    owners = [actions.add_reaction(budget, member, f"R{n}").owner for n in range(4)]
    assert owners == [owner, team_member, owner, team_member]


def test_the_owner_is_told_by_email(
    member, team_member, budget, mailoutbox, django_capture_on_commit_callbacks
):
    budget.owner = team_member
    budget.save()
    with django_capture_on_commit_callbacks(execute=True):
        reaction = actions.add_reaction(budget, member, "Use a savings group.")
    assert [m.to for m in mailoutbox] == [[team_member.email]]
    assert "Use a savings group." in mailoutbox[0].body
    assert f"/plans/reactions/{reaction.pk}/answer/" in mailoutbox[0].body
    assert "[ref:p" in mailoutbox[0].subject


def test_posting_a_reaction_records_a_conversion_with_the_request(client_as, member, budget):
    with mock.patch("samen.outreach.attribution.record_conversion") as record:
        post_reaction(client_as(member), budget, "Counted.")
    reaction = Reaction.objects.get()
    record.assert_called_once()
    kwargs = record.call_args.kwargs
    assert kwargs["kind"] == "reaction"
    assert (kwargs["source"], kwargs["source_ref"]) == ("plans.reaction", str(reaction.pk))
    assert kwargs["member"] == member and kwargs["request"] is not None


def answer_as(client, reaction, state, text):
    return client.post(f"/plans/reactions/{reaction.pk}/answer/", {"state": state, "answer": text})


def test_the_answer_reaches_the_reactor_by_email_once(
    client_as, owner, member, budget, mailoutbox, django_capture_on_commit_callbacks
):
    reaction = actions.add_reaction(budget, member, "Ask the county for a grant.")
    with django_capture_on_commit_callbacks(execute=True):
        response = answer_as(client_as(owner), reaction, "answered", "We applied in May.")
    assert response.status_code == 302
    reaction.refresh_from_db()
    assert reaction.state == "answered" and reaction.answered_by == owner
    answers = [m for m in mailoutbox if m.to == [member.email]]
    assert len(answers) == 1
    assert "We applied in May." in answers[0].body and "Ask the county for a grant." in answers[0].body
    # Sending it again with the same key changes nothing.
    from samen.plans import mail

    mail.send_answer(reaction, budget, budget.plan)
    assert OutboundMessage.objects.filter(idempotency_key=f"plans.answer:{reaction.pk}:1").count() == 1
    # The reactor sees the answer on the page.
    page = client_as(member).get(budget.get_absolute_url()).content.decode()
    assert "We applied in May." in page


def test_an_answer_needs_text(client_as, owner, member, budget):
    reaction = actions.add_reaction(budget, member, "Hm.")
    response = answer_as(client_as(owner), reaction, "declined", "  ")
    assert response.status_code == 200
    reaction.refresh_from_db()
    assert reaction.state == "open"


def test_only_the_team_answers(client_as, people, budget):
    reaction = actions.add_reaction(budget, people["member"], "Hm.")
    for name in ("member", "outsider"):
        assert answer_as(client_as(people[name]), reaction, "answered", "No").status_code == 403
    assert answer_as(client_as(None), reaction, "answered", "No").status_code == 302
    reaction.refresh_from_db()
    assert reaction.state == "open"


def test_an_adopted_reaction_is_knowledge_given_once(owner, member, budget):
    reaction = actions.add_reaction(budget, member, "Buy pipes in bulk.")
    actions.answer_reaction(reaction, owner, state="adopted", answer="Yes, we will.")
    actions.answer_reaction(reaction, owner, state="adopted", answer="Yes, we really will.")
    line = Contribution.objects.get()
    assert (line.kind, line.member, line.source, line.source_ref) == (
        "knowledge",
        member,
        "plans.reaction",
        str(reaction.pk),
    )
    assert line.initiative == budget.plan.initiative


def test_a_declined_reaction_is_not_knowledge_given(owner, member, budget):
    reaction = actions.add_reaction(budget, member, "Paint it pink.")
    actions.answer_reaction(reaction, owner, state="declined", answer="Not in the budget.")
    assert not Contribution.objects.exists()


def test_the_public_plan_shows_answered_n_of_m_per_section(client, owner, member, outsider, sections):
    budget, building = sections["Budget"], sections["Building"]
    first = actions.add_reaction(budget, member, "A")
    actions.add_reaction(budget, outsider, "B")
    actions.add_reaction(budget, outsider, "reply", parent=first)  # replies are not counted
    actions.answer_reaction(first, owner, state="answered", answer="Thanks")
    actions.add_reaction(building, member, "C")
    page = client.get(budget.plan.get_absolute_url()).content.decode()
    assert "answered 1 of 2" in page
    assert "answered 0 of 1" in page
    assert page.count("answered 0 of 0") == 2  # Money and Fundraising


def test_the_team_can_move_the_due_date_and_owner(client_as, owner, team_member, member, budget):
    reaction = actions.add_reaction(budget, member, "Later is fine.")
    Reaction.objects.filter(pk=reaction.pk).update(reminded_at=timezone.now())
    response = client_as(owner).post(
        f"/plans/reactions/{reaction.pk}/due/", {"due": "2031-05-01T10:00", "owner": team_member.pk}
    )
    assert response.status_code == 302
    reaction.refresh_from_db()
    assert reaction.due_at.year == 2031 and reaction.owner == team_member
    assert reaction.reminded_at is None


def test_an_owner_must_be_on_the_team(owner, member, budget):
    reaction = actions.add_reaction(budget, member, "x")
    with pytest.raises(Exception, match="on the team"):
        actions.reassign(reaction, member)
    TeamMember.objects.create(initiative=budget.plan.initiative, member=member)
    actions.reassign(reaction, member)
