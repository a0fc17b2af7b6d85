import pytest
from django.urls import reverse

from samen.impact.ledger import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    from samen.people.models import Member

    client.force_login(Member.objects.create_superuser(email="root@example.org", password="x", name="Root"))
    return client


def test_the_list_shows_amounts_readably_and_searches(admin_client, initiative, member):
    record(
        kind="money",
        initiative=initiative,
        member=member,
        source="giving.donation",
        source_ref="9",
        amount_minor=1250,
        currency="EUR",
    )
    record(
        kind="time",
        initiative=initiative,
        member=member,
        source="volunteering.entry",
        source_ref="9",
        minutes=90,
    )
    response = admin_client.get(
        reverse("admin:impact_contribution_changelist"), {"q": "giving", "kind__exact": "money"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "€12.50" in response.text


def test_the_source_of_a_recorded_line_cannot_be_edited(admin_client, initiative):
    line, _ = record(
        kind="time", initiative=initiative, source="volunteering.entry", source_ref="9", minutes=90
    )
    response = admin_client.get(reverse("admin:impact_contribution_change", args=[line.pk]))
    assert response.status_code == 200
    assert 'name="source"' not in response.text
    assert 'name="minutes"' in response.text
