"""The team's "to answer" queue and the reminder task, with frozen time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from samen.messaging.models import OutboundMessage
from samen.plans import actions
from samen.plans.models import Reaction
from samen.plans.tasks import remind_overdue

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def reminders():
    return OutboundMessage.objects.filter(idempotency_key__startswith="plans.reminder:")


def test_an_overdue_reaction_reminds_its_owner_once(member, team_member, budget):
    budget.owner = team_member
    budget.save()
    with time_machine.travel(MONDAY, tick=False):
        reaction = actions.add_reaction(budget, member, "Please answer")
    with time_machine.travel(MONDAY + timedelta(days=2, hours=23), tick=False):
        assert remind_overdue.call() == 0  # not due yet
    with time_machine.travel(MONDAY + timedelta(days=3, minutes=1), tick=False):
        assert remind_overdue.call() == 1
        assert remind_overdue.call() == 0  # a second run sends nothing
        call_command("plans_remind", "--now")
    sent = reminders().get()
    assert sent.to == team_member.email
    assert "Please answer" in sent.body
    reaction.refresh_from_db()
    assert reaction.reminded_at == MONDAY + timedelta(days=3, minutes=1)


def test_an_answered_reaction_is_not_reminded(owner, member, budget):
    with time_machine.travel(MONDAY, tick=False):
        reaction = actions.add_reaction(budget, member, "x")
        actions.answer_reaction(reaction, owner, state="answered", answer="Done")
    with time_machine.travel(MONDAY + timedelta(days=10), tick=False):
        assert remind_overdue.call() == 0


def test_a_new_due_date_brings_a_new_reminder_when_it_passes(member, budget):
    with time_machine.travel(MONDAY, tick=False):
        reaction = actions.add_reaction(budget, member, "x")
    with time_machine.travel(MONDAY + timedelta(days=4), tick=False):
        assert remind_overdue.call() == 1
        actions.set_due(reaction, MONDAY + timedelta(days=6))
        assert remind_overdue.call() == 0
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        assert remind_overdue.call() == 1
    assert reminders().count() == 2


def test_the_queue_is_sorted_by_due_date_with_overdue_ones_marked(
    client_as, owner, member, outsider, sections
):
    with time_machine.travel(MONDAY, tick=False):
        late = actions.add_reaction(sections["Budget"], member, "The late one")
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        soon = actions.add_reaction(sections["Building"], outsider, "The one due soon")
        done = actions.add_reaction(sections["Building"], outsider, "The answered one")
        actions.answer_reaction(done, owner, state="answered", answer="ok")
    with time_machine.travel(MONDAY + timedelta(days=4), tick=False):
        page = client_as(owner).get("/plans/initiative/clean-water-kibera/to-answer/").content.decode()
    assert page.index("The late one") < page.index("The one due soon")
    assert "The answered one" not in page
    assert '<tr class="overdue">' in page
    assert page.count('<tr class="overdue">') == 1
    assert "1 is overdue" in page
    assert Reaction.objects.get(pk=late.pk).is_overdue(MONDAY + timedelta(days=4))
    assert not Reaction.objects.get(pk=soon.pk).is_overdue(MONDAY + timedelta(days=4))


def test_the_queue_is_for_the_team_only(client_as, people, plan):
    path = "/plans/initiative/clean-water-kibera/to-answer/"
    assert client_as(people["owner"]).get(path).status_code == 200
    assert client_as(people["team"]).get(path).status_code == 200
    assert client_as(people["member"]).get(path).status_code == 403
    assert client_as(people["outsider"]).get(path).status_code == 403
    assert client_as(None).get(path).status_code == 302
