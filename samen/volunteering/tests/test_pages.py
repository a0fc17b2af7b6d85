"""The pages, with JavaScript off (plain POSTs that redirect), and who may see what."""

import pytest
from django.urls import reverse

from conftest import client_for
from samen.impact.models import Contribution
from samen.initiatives.models import Initiative
from samen.volunteering import actions
from samen.volunteering.models import Comment, Opportunity, Participation, Pledge, TimeEntry

pytestmark = pytest.mark.django_db


def test_a_member_sees_a_suggestion_with_its_reason(opportunity, outsider):
    outsider.skills = ["translation", "Dutch"]
    outsider.languages = ["English", "Dutch", "French"]
    outsider.save()
    page = client_for(outsider).get(reverse("volunteering:home")).content.decode()
    assert opportunity.title in page
    assert "matches your skills: Dutch, translation" in page


def test_the_team_creates_a_task_and_gets_its_code(initiative, owner):
    response = client_for(owner).post(
        reverse("volunteering:create", args=[initiative.slug]),
        {
            "title": "Fix the pump",
            "description": "Plomberie",
            "mode": "on_location",
            "schedule": "one_off",
            "hours_needed": "6",
            "skills": "plumbing, Swahili",
            "languages": "sw",
            "time_zone": "Africa/Nairobi",
            "places_available": "2",
            "status": "open",
        },
    )
    opportunity = Opportunity.objects.get(title="Fix the pump")
    assert response.status_code == 302 and response.url == opportunity.get_absolute_url()
    assert opportunity.terms["skills"] == ["lang:sw", "skill:plumbing"]
    assert opportunity.term_rows.count() >= 2


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("team", 200), ("member", 403), ("outsider", 403), ("anonymous", 302)]
)
def test_only_the_team_adds_tasks(people, initiative, who, status):
    response = client_for(people[who]).get(reverse("volunteering:create", args=[initiative.slug]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "sees_task", "sees_motivation", "sees_discussion"),
    [
        ("owner", True, True, True),
        ("team", True, True, True),
        ("member", True, True, True),  # Mia is the accepted participant here
        ("outsider", True, False, False),
        ("anonymous", True, False, False),
    ],
)
def test_privacy_of_a_task_page(
    people, accepted, opportunity, who, sees_task, sees_motivation, sees_discussion
):
    actions.post_comment(opportunity, people["owner"], "Welcome aboard!")
    response = client_for(people[who]).get(opportunity.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert (opportunity.title in page) is sees_task
    assert ("I speak both." in page) is sees_motivation
    assert ("Welcome aboard!" in page) is sees_discussion


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("team", 200), ("member", 404), ("outsider", 404), ("anonymous", 404)]
)
def test_a_task_of_a_draft_initiative_is_for_the_team_only(people, opportunity, initiative, who, status):
    Initiative.objects.filter(pk=initiative.pk).update(status=Initiative.Status.DRAFT)
    assert client_for(people[who]).get(opportunity.get_absolute_url()).status_code == status


def test_outsiders_cannot_post_in_the_discussion(opportunity, outsider):
    response = client_for(outsider).post(
        reverse("volunteering:comment", args=[opportunity.pk]), {"body": "Hi"}
    )
    assert response.status_code == 403
    assert not Comment.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("member", 404), ("outsider", 404), ("anonymous", 302)])
def test_only_the_team_accepts_or_confirms(people, opportunity, accepted, who, status):
    pending, _ = actions.apply(opportunity, people["outsider"])
    entry, _ = actions.log_hours(accepted, minutes=60)
    client = client_for(people[who])
    assert (
        client.post(reverse("volunteering:decide", args=[pending.pk]), {"decision": "accept"}).status_code
        == status
    )
    assert (
        client.post(
            reverse("volunteering:decide_hours", args=[entry.pk]), {"decision": "confirm"}
        ).status_code
        == status
    )
    assert Participation.objects.get(pk=pending.pk).state == "applied"
    assert TimeEntry.objects.get(pk=entry.pk).state == "pending"


def test_the_whole_flow_with_plain_forms(opportunity, member, owner):
    mia, olga = client_for(member), client_for(owner)
    response = mia.post(
        reverse("volunteering:apply", args=[opportunity.pk]), {"motivation": "Ik help graag."}
    )
    assert response.status_code == 302
    participation = Participation.objects.get()
    olga.post(reverse("volunteering:decide", args=[participation.pk]), {"decision": "accept"})
    mia.post(reverse("volunteering:comment", args=[opportunity.pk]), {"body": "Starting today."})
    response = mia.post(
        reverse("volunteering:log_hours", args=[participation.pk]),
        {"hours": "1.5", "occurred_on": "2026-01-05", "note": "Poster 1"},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    olga.post(reverse("volunteering:decide_hours", args=[entry.pk]), {"decision": "confirm"})
    assert Contribution.objects.get().minutes == 90
    assert Comment.objects.get().body == "Starting today."


@pytest.mark.parametrize("hours", ["0", "-1", "25", "abc"])
def test_bad_hours_are_a_form_error(accepted, member, hours):
    response = client_for(member).post(
        reverse("volunteering:log_hours", args=[accepted.pk]), {"hours": hours, "occurred_on": "2026-01-05"}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode() or "errorlist" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_someone_elses_participation_is_not_found(accepted, outsider):
    response = client_for(outsider).post(reverse("volunteering:withdraw", args=[accepted.pk]))
    assert response.status_code == 404
    assert Participation.objects.get().state == "accepted"


def test_my_one_percent_shows_the_pledge_and_confirmed_hours(accepted, member, owner):
    entry, _ = actions.log_hours(accepted, minutes=120)
    actions.confirm_hours(entry, owner)
    client = client_for(member)
    response = client.post(
        reverse("volunteering:my_one_percent"),
        {
            "hours_per_month": "1.6",
            "money_per_month": "10",
            "currency": "eur",
            "knowledge": "Dutch lessons",
            "knowledge_items_per_month": "1",
        },
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get(member=member)
    assert (pledge.minutes_per_month, pledge.amount_minor_per_month, pledge.currency) == (96, 1000, "EUR")
    page = client.get(reverse("volunteering:my_one_percent")).content.decode()
    assert "<svg" in page
    assert "2 h" in page or "2:00" in page or "2 hours" in page
    assert "(125%)" in page  # 120 of 96 minutes this month


def test_my_one_percent_is_for_signed_in_members():
    from django.test import Client

    assert Client().get(reverse("volunteering:my_one_percent")).status_code == 302


def test_the_public_impact_page_of_an_initiative(accepted, owner, initiative):
    entry, _ = actions.log_hours(accepted, minutes=180)
    actions.confirm_hours(entry, owner)
    from django.test import Client

    page = Client().get(reverse("volunteering:initiative", args=[initiative.slug])).content.decode()
    assert "Hours given" in page and "Volunteers" in page and "Knowledge shared" in page
    assert "Mia" not in page  # totals only


def test_the_team_invites_a_suggested_member(opportunity, owner, outsider):
    outsider.skills = ["vertalen", "Nederlands"]
    outsider.save()
    page = client_for(owner).get(opportunity.get_absolute_url()).content.decode()
    assert "Otto Outsider" in page and "matches the skills:" in page
    client_for(owner).post(reverse("volunteering:invite", args=[opportunity.pk, outsider.pk]))
    assert Participation.objects.get(member=outsider).state == "invited"
