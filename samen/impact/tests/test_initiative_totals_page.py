import pytest
from django.urls import reverse

from samen.impact.ledger import record
from samen.initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def url(initiative):
    return reverse("impact:initiative", args=[initiative.slug])


@pytest.fixture
def contributions(initiative, member, team_member):
    record(kind="time", initiative=initiative, member=member, source="t", source_ref="1", minutes=150)
    record(kind="time", initiative=initiative, member=team_member, source="t", source_ref="2", minutes=30)
    record(
        kind="money",
        initiative=initiative,
        member=member,
        source="m",
        source_ref="1",
        amount_minor=2500,
        currency="EUR",
    )
    record(
        kind="knowledge",
        initiative=initiative,
        member=None,
        source="k",
        source_ref="1",
        description="Well map",
    )


@pytest.mark.parametrize("role", ["owner", "team", "member", "outsider", "anonymous"])
def test_everyone_sees_an_open_initiatives_totals(client_as, people, contributions, initiative, role):
    response = client_as(people[role]).get(url(initiative))
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert "3 hours" in html
    assert "€25.00" in html
    assert "1 item" in html
    assert response.context["totals"].volunteers == 2
    assert "Mia" not in html  # totals only: no names


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("team", 200), ("member", 404), ("outsider", 404), ("anonymous", 404)],
)
def test_a_drafts_totals_are_for_its_team(client_as, people, initiative, role, status):
    Initiative.objects.filter(pk=initiative.pk).update(status=Initiative.Status.DRAFT)
    assert client_as(people[role]).get(url(initiative)).status_code == status


def test_an_unknown_initiative_is_a_404(client):
    assert client.get(reverse("impact:initiative", args=["nowhere"])).status_code == 404


def test_nothing_yet_is_said_plainly(client, initiative):
    assert "Nobody has recorded a contribution yet." in client.get(url(initiative)).text
