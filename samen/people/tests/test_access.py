"""The access helpers themselves, called the way views and the API call them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from samen.people.access import Contact, contact_for_viewer, get_profile_for_viewer
from samen.people.models import Member


@pytest.fixture
def viewers(people):
    staff = Member.objects.create_user(email="sam@example.org", name="Sam Staff", is_staff=True)
    return {**people, "anonymous": AnonymousUser(), "staff": staff}


@pytest.mark.parametrize(
    ("visibility", "allowed"),
    [
        ("public", {"owner", "team", "member", "outsider", "anonymous", "staff"}),
        ("members", {"owner", "team", "member", "outsider", "staff"}),
        ("private", {"member", "staff"}),
    ],
)
def test_get_profile_for_viewer_follows_the_visibility(viewers, visibility, allowed):
    mia = viewers["member"]
    Member.objects.filter(pk=mia.pk).update(profile_visibility=visibility)
    for name, viewer in viewers.items():
        if name in allowed:
            assert get_profile_for_viewer(viewer, mia.pk) == mia, name
        else:
            with pytest.raises(Http404):
                get_profile_for_viewer(viewer, mia.pk)


def test_get_profile_for_viewer_treats_none_as_anonymous(viewers):
    Member.objects.filter(pk=viewers["member"].pk).update(profile_visibility="members")
    with pytest.raises(Http404):
        get_profile_for_viewer(None, viewers["member"].pk)


def test_a_missing_member_and_a_private_one_look_the_same(viewers):
    Member.objects.filter(pk=viewers["member"].pk).update(profile_visibility="private")
    with pytest.raises(Http404) as private:
        get_profile_for_viewer(viewers["outsider"], viewers["member"].pk)
    with pytest.raises(Http404) as missing:
        get_profile_for_viewer(viewers["outsider"], 999999)
    assert str(private.value) == str(missing.value)


@pytest.mark.parametrize("name", ["owner", "team", "outsider", "anonymous"])
def test_contacts_are_private_from_everyone_else(viewers, name):
    # The team of an initiative Mia follows is no exception: later capabilities that need it
    # will grant it through their own helpers.
    assert contact_for_viewer(viewers[name], viewers["member"]) is None


@pytest.mark.parametrize("name", ["member", "staff"])
def test_the_member_and_staff_get_the_contact_details(viewers, name):
    assert contact_for_viewer(viewers[name], viewers["member"]) == Contact(
        email="mia@example.org", phone="+31612345678", by_email=True, by_sms=True
    )


def test_sms_is_not_offered_without_a_phone(viewers):
    outsider = viewers["outsider"]
    outsider.contact_by_sms = True  # possible through the admin or old data, never through the form
    assert contact_for_viewer(outsider, outsider).by_sms is False
