"""Who may see donors and move money: the privacy matrix."""

import pytest
from django.urls import reverse

from samen.giving import actions
from samen.giving.models import Donation

pytestmark = pytest.mark.django_db

SEES_DONORS = {"owner": 200, "team": 200, "member": 403, "outsider": 403, "anonymous": 302}
MOVES_MONEY = {"owner": 302, "team": 403, "member": 403, "outsider": 403, "anonymous": 302}


@pytest.fixture
def pledge(initiative):
    donation, _ = actions.create_donation(
        initiative,
        amount_minor=1000,
        currency="EUR",
        email="secret@example.org",
        name="Hidden Name",
        anonymous=True,
    )
    return donation


@pytest.mark.parametrize(("role", "status"), SEES_DONORS.items())
def test_donor_details_are_for_the_team(client_as, people, initiative, pledge, role, status):
    client = client_as(people[role])
    for name in ("giving:donations", "giving:donations_csv"):
        response = client.get(reverse(name, args=[initiative.slug]))
        assert response.status_code == status, (name, role)
    public = client.get(reverse("giving:give", args=[initiative.slug])).content.decode()
    assert "secret@example.org" not in public and "Hidden Name" not in public


@pytest.mark.parametrize(("role", "status"), MOVES_MONEY.items())
def test_only_the_owner_marks_paid(client_as, people, initiative, pledge, role, status):
    response = client_as(people[role]).post(
        reverse("giving:donation_action", args=[initiative.slug, pledge.pk, "paid"])
    )

    assert response.status_code == status
    pledge.refresh_from_db()
    assert pledge.state == ("succeeded" if role == "owner" else "pending")


def test_drafts_take_no_gifts_and_stay_hidden(client_as, people, initiative):
    initiative.set_status("draft")
    assert (
        client_as(people["outsider"]).get(reverse("giving:give", args=[initiative.slug])).status_code == 404
    )
    assert client_as(None).post(reverse("giving:give", args=[initiative.slug]), {}).status_code == 404
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"), {"organiser": 200, "owner": 403, "member": 403, "anonymous": 302}.items()
)
def test_only_the_organiser_manages_a_campaign(client_as, people, campaign, role, status):
    person = people["outsider"] if role == "organiser" else people[role]
    response = client_as(person).get(reverse("giving:campaign_manage", args=[campaign.slug]))
    assert response.status_code == status


def test_a_donation_page_needs_its_unguessable_id(client, pledge):
    assert client.get(pledge.get_absolute_url()).status_code == 200
    assert (
        client.get(reverse("giving:donation", args=["00000000-0000-0000-0000-000000000000"])).status_code
        == 404
    )
