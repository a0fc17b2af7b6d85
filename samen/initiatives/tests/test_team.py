"""Team management: the owner adds members by e-mail and removes them; one owner always stays."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from samen.initiatives.models import TeamMember

pytestmark = pytest.mark.django_db


def team_url(initiative):
    return reverse("initiatives:team", args=[initiative.slug])


def remove_url(initiative, person):
    row = TeamMember.objects.get(initiative=initiative, member=person)
    return reverse("initiatives:team_remove", args=[initiative.slug, row.pk])


def roles(initiative):
    return dict(initiative.team.values_list("member__email", "role"))


def test_the_owner_adds_an_existing_member_by_e_mail(client_as, people, initiative):
    response = client_as(people["owner"]).post(
        team_url(initiative), {"email": "OTTO@example.org", "role": "team"}
    )

    assert response.status_code == 302
    assert roles(initiative)["otto@example.org"] == TeamMember.Role.TEAM


def test_the_owner_can_add_a_second_owner(client_as, people, initiative):
    client_as(people["owner"]).post(team_url(initiative), {"email": "otto@example.org", "role": "owner"})

    assert roles(initiative)["otto@example.org"] == TeamMember.Role.OWNER


def test_an_unknown_address_is_refused_inline_and_kept(client_as, people, initiative):
    response = client_as(people["owner"]).post(
        team_url(initiative), {"email": "nobody@example.org", "role": "team"}
    )

    assert response.status_code == 200
    assert "Ask them to sign up first" in response.content.decode()
    assert 'value="nobody@example.org"' in response.content.decode()
    assert len(roles(initiative)) == 2


def test_adding_someone_already_on_the_team_is_refused(client_as, people, initiative):
    response = client_as(people["owner"]).post(
        team_url(initiative), {"email": "tom@example.org", "role": "owner"}
    )

    assert response.status_code == 200
    assert "already on the team" in response.content.decode()
    assert roles(initiative)["tom@example.org"] == TeamMember.Role.TEAM


@pytest.mark.parametrize(
    "data", [{"email": "not-an-address", "role": "team"}, {"email": "otto@example.org", "role": "boss"}]
)
def test_bad_input_is_shown_inline(client_as, people, initiative, data):
    response = client_as(people["owner"]).post(team_url(initiative), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "otto@example.org" not in roles(initiative)


def test_the_owner_removes_a_team_member(client_as, people, initiative):
    response = client_as(people["owner"]).post(remove_url(initiative, people["team"]))

    assert response.status_code == 302
    assert "tom@example.org" not in roles(initiative)


def test_the_last_owner_cannot_be_removed(client_as, people, initiative):
    owner = client_as(people["owner"])

    response = owner.post(remove_url(initiative, people["owner"]), follow=True)

    assert "at least one owner" in response.content.decode()
    assert roles(initiative)["olga@example.org"] == TeamMember.Role.OWNER


def test_an_owner_can_step_down_once_there_is_another_owner(client_as, people, initiative):
    initiative.add_team_member(people["outsider"], TeamMember.Role.OWNER)

    response = client_as(people["owner"]).post(remove_url(initiative, people["owner"]))

    assert response.status_code == 302 and response["Location"] == initiative.get_absolute_url()
    assert "olga@example.org" not in roles(initiative)


def test_a_team_row_of_another_initiative_is_404(client_as, people, initiative, make_initiative):
    other = make_initiative(title="Other")
    row = TeamMember.objects.get(initiative=other)

    response = client_as(people["owner"]).post(
        reverse("initiatives:team_remove", args=[initiative.slug, row.pk])
    )

    assert response.status_code == 404
    assert TeamMember.objects.filter(pk=row.pk).exists()


def test_remove_team_member_refuses_a_row_of_another_initiative(initiative, make_initiative):
    other = make_initiative(title="Other")

    with pytest.raises(ValidationError):
        initiative.remove_team_member(TeamMember.objects.get(initiative=other))


def test_removing_needs_a_post(client_as, people, initiative):
    assert client_as(people["owner"]).get(remove_url(initiative, people["team"])).status_code == 405
