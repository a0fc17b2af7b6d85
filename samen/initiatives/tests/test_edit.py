"""Editing an initiative and changing its status."""

import pytest
from django.urls import reverse

from samen.initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def edit_url(initiative):
    return reverse("initiatives:edit", args=[initiative.slug])


def status_url(initiative):
    return reverse("initiatives:status", args=[initiative.slug])


def form_data(initiative, **overrides):
    data = {
        "title": initiative.title,
        "summary": initiative.summary,
        "story": initiative.story,
        "causes": initiative.causes,
        "place_name": initiative.place_name,
        "latitude": "",
        "longitude": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("who", ["owner", "team"])
def test_the_team_can_edit(client_as, people, initiative, who):
    response = client_as(people[who]).post(
        edit_url(initiative), form_data(initiative, summary="New summary.")
    )

    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.summary == "New summary."
    assert initiative.slug == "clean-water-kibera"  # addresses stay stable


def test_the_edit_form_shows_the_current_values(client_as, people, initiative):
    html = client_as(people["team"]).get(edit_url(initiative)).content.decode()

    assert 'value="Clean water for Kibera"' in html
    assert "We are **residents** of Kibera." in html


def test_bad_input_is_shown_inline_and_nothing_is_saved(client_as, people, initiative):
    response = client_as(people["owner"]).post(
        edit_url(initiative), form_data(initiative, title="", summary="Typed but not saved.")
    )

    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "Typed but not saved." in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.summary == "Water points and hygiene lessons, run by residents."
    # The heading and the back link still name the saved initiative, not the rejected input.
    assert "Edit “Clean water for Kibera”" in response.content.decode()


def test_the_owner_changes_the_status(client_as, people, initiative):
    response = client_as(people["owner"]).post(status_url(initiative), {"status": "closed"})

    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.CLOSED


def test_an_unknown_status_is_refused_inline(client_as, people, initiative):
    response = client_as(people["owner"]).post(status_url(initiative), {"status": "deleted"})

    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.OPEN


def test_set_status_refuses_values_outside_the_choices(initiative):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        initiative.set_status("archived")
