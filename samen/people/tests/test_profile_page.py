"""Mia's public profile, seen by everyone in the privacy matrix, under each of her choices.

Mia follows the initiative that Olga owns and Tom works on; following does not give that team
any view of her contact details.
"""

import pytest
from django.urls import reverse

from samen.people.models import Member

from .pages import assert_samen_page

VIEWERS = ["owner", "team", "member", "outsider", "anonymous", "staff"]
# Who gets the page (200) rather than a 404, for each visibility choice; "member" is Mia herself.
SEES_PROFILE = {
    Member.Visibility.PUBLIC: {"owner", "team", "member", "outsider", "anonymous", "staff"},
    Member.Visibility.MEMBERS: {"owner", "team", "member", "outsider", "staff"},
    Member.Visibility.PRIVATE: {"member", "staff"},
}
SEES_CONTACT = {"member", "staff"}


@pytest.fixture
def matrix(people):
    staff = Member.objects.create_user(email="sam@example.org", name="Sam Staff", is_staff=True)
    return {**people, "staff": staff}


@pytest.fixture
def mia(matrix):
    mia = matrix["member"]
    mia.bio = "Teacher. Text me on +31 6 12345678 or write to mia@example.org."
    mia.place_name = "Utrecht"
    mia.save(update_fields=["bio", "place_name"])
    return mia


def profile_url(member):
    return reverse("people:profile", args=[member.pk])


@pytest.mark.parametrize("visibility", list(SEES_PROFILE))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_profile_shows_only_to_whom_the_member_chose(client_as, matrix, mia, viewer, visibility):
    Member.objects.filter(pk=mia.pk).update(profile_visibility=visibility)
    response = client_as(matrix[viewer]).get(profile_url(mia))
    if viewer in SEES_PROFILE[visibility]:
        assert_samen_page(response)
        assert "Mia Member" in response.content.decode()
    else:
        assert response.status_code == 404
        assert "Mia Member" not in response.content.decode()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_contact_details_show_only_to_the_member_and_staff(client_as, matrix, mia, viewer):
    Member.objects.filter(pk=mia.pk).update(profile_visibility=Member.Visibility.PUBLIC)
    html = client_as(matrix[viewer]).get(profile_url(mia)).content.decode()
    shows_contact = viewer in SEES_CONTACT
    assert ("mailto:mia@example.org" in html) is shows_contact
    assert ("+31612345678" in html) is shows_contact


@pytest.mark.parametrize("viewer", VIEWERS)
def test_contact_details_in_the_bio_are_scrubbed_for_others(client_as, matrix, mia, viewer):
    Member.objects.filter(pk=mia.pk).update(profile_visibility=Member.Visibility.PUBLIC)
    html = client_as(matrix[viewer]).get(profile_url(mia)).content.decode()
    if viewer in SEES_CONTACT:
        assert "+31 6 12345678" in html
    else:
        assert "Teacher." in html
        assert "+31 6 12345678" not in html
        assert "mia@example.org" not in html


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_hidden_place_shows_only_to_the_member_and_staff(client_as, matrix, mia, viewer):
    Member.objects.filter(pk=mia.pk).update(profile_visibility=Member.Visibility.PUBLIC, show_place=False)
    html = client_as(matrix[viewer]).get(profile_url(mia)).content.decode()
    assert ("Utrecht" in html) is (viewer in SEES_CONTACT)


def test_a_shown_place_is_public_but_coordinates_never_are(client_as, matrix, mia):
    Member.objects.filter(pk=mia.pk).update(
        profile_visibility=Member.Visibility.PUBLIC, latitude="52.090700", longitude="5.121400"
    )
    html = client_as(None).get(profile_url(mia)).content.decode()
    assert "Utrecht" in html
    assert "52.09" not in html
    assert "5.1214" not in html


def test_the_profile_shows_skills_causes_languages_and_availability(client_as, owner):
    Member.objects.filter(pk=owner.pk).update(languages=["English", "Swahili"], availability_hours=8)
    html = client_as(owner).get(profile_url(owner)).content.decode()
    assert "fundraising" in html
    assert "Water and sanitation" in html
    assert "Swahili" in html
    assert "8 hours a month" in html


def test_the_member_sees_a_note_and_a_way_to_edit(client_as, mia):
    response = client_as(mia).get(profile_url(mia))
    page = assert_samen_page(response)
    assert page.back_links == [reverse("people:profile_edit")]
    assert "This is your profile." in response.content.decode()


def test_a_profile_not_for_everyone_asks_search_engines_to_stay_away(client_as, matrix, mia):
    html = client_as(matrix["outsider"]).get(profile_url(mia)).content.decode()
    assert '<meta name="robots" content="noindex">' in html


def test_a_deactivated_member_is_gone_for_others_but_not_for_staff(client_as, matrix, mia):
    Member.objects.filter(pk=mia.pk).update(profile_visibility=Member.Visibility.PUBLIC, is_active=False)
    assert client_as(matrix["outsider"]).get(profile_url(mia)).status_code == 404
    assert client_as(matrix["staff"]).get(profile_url(mia)).status_code == 200


def test_an_unknown_member_is_a_404(client, db):
    assert client.get(reverse("people:profile", args=[999999])).status_code == 404


def test_the_profile_page_runs_a_fixed_number_of_queries(
    client_as, matrix, mia, django_assert_max_num_queries
):
    client = client_as(matrix["outsider"])
    with django_assert_max_num_queries(4):
        client.get(profile_url(mia))
