"""Starting an initiative."""

import pytest
from django.urls import reverse

from samen.initiatives.models import Initiative, TeamMember

pytestmark = pytest.mark.django_db
CREATE = reverse("initiatives:create")


def valid(**overrides):
    data = {
        "title": "Solar lamps for Jacmel",
        "summary": "Lamps so children can study after dark.",
        "story": "We start with **40 lamps**.",
        "causes": ["education", "environment"],
        "place_name": "Jacmel, Haiti",
        "latitude": "18.234",
        "longitude": "-72.535",
        "status": "open",
    }
    data.update(overrides)
    return data


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(CREATE)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_it_creates_the_initiative_with_the_creator_as_owner(client_as, outsider):
    response = client_as(outsider).post(CREATE, valid())

    initiative = Initiative.objects.get()
    assert response.status_code == 302 and response["Location"] == initiative.get_absolute_url()
    assert initiative.slug == "solar-lamps-for-jacmel"
    assert initiative.causes == ["education", "environment"]
    assert initiative.status == Initiative.Status.OPEN
    assert initiative.created_by == outsider
    assert list(initiative.team.values_list("member", "role")) == [(outsider.pk, TeamMember.Role.OWNER)]


def test_it_can_start_as_a_draft(client_as, outsider):
    client_as(outsider).post(CREATE, valid(status="draft"))

    assert Initiative.objects.get().status == Initiative.Status.DRAFT


def test_a_second_initiative_with_the_same_title_gets_its_own_address(client_as, outsider):
    client_as(outsider).post(CREATE, valid())
    client_as(outsider).post(CREATE, valid())

    assert sorted(Initiative.objects.values_list("slug", flat=True)) == [
        "solar-lamps-for-jacmel",
        "solar-lamps-for-jacmel-2",
    ]


def test_an_initiative_called_new_does_not_hide_behind_the_create_page(client_as, outsider):
    client_as(outsider).post(CREATE, valid(title="New"))

    assert Initiative.objects.get().slug == "new-2"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 141}, "title"),
        ({"summary": ""}, "summary"),
        ({"causes": ["not-a-cause"]}, "causes"),
        ({"latitude": "91"}, "latitude"),
        ({"longitude": "abc"}, "longitude"),
        ({"status": "closed"}, "status"),
    ],
)
def test_bad_input_is_shown_inline_and_keeps_what_was_typed(client_as, outsider, overrides, field):
    response = client_as(outsider).post(CREATE, valid(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert 'class="errorlist' in html
    assert "Lamps so children can study after dark." in html or field == "summary"
    assert "Jacmel, Haiti" in html
    assert not Initiative.objects.exists()
    assert not TeamMember.objects.exists()


def test_coordinates_come_in_pairs(client_as, outsider):
    response = client_as(outsider).post(CREATE, valid(longitude=""))

    assert "Give both latitude and longitude, or neither." in response.content.decode()
    assert not Initiative.objects.exists()


def test_the_form_labels_every_input(client_as, outsider):
    html = client_as(outsider).get(CREATE).content.decode()

    for field in ["title", "summary", "story", "place_name", "latitude", "longitude", "image", "status"]:
        assert f'for="id_{field}"' in html
    assert "<legend" in html  # the causes checkboxes are a labelled group
