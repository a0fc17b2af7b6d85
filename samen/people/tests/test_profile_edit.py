from decimal import Decimal

import pytest
from django.urls import reverse

from samen.people.models import Member

from .pages import assert_samen_page, audit

URL = reverse("people:profile_edit")


def valid_form(**changes):
    data = {
        "name": "Mia Member",
        "bio": "I teach maths and like to build things.",
        "skills": "teaching,  maths, Teaching , carpentry",
        "causes": ["education", "water"],
        "languages": "English, Dutch",
        "place_name": "Utrecht",
        "latitude": "52.0907",
        "longitude": "5.1214",
        "time_zone": "Europe/Amsterdam",
        "availability_hours": "12",
        "phone": "+31 6 12345678",
        "contact_by_email": "on",
        "contact_by_sms": "on",
        "profile_visibility": "public",
        "show_place": "on",
        "open_to_invitations": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_it_requires_logging_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_it_shows_the_current_profile(client_as, owner):
    response = client_as(owner).get(URL)
    assert_samen_page(response)
    html = response.content.decode()
    assert 'value="Olga Owner"' in html
    assert 'value="fundraising"' in html
    assert audit(response).checked("causes") == ["water"]


def test_it_saves_the_profile(client_as, member):
    response = client_as(member).post(URL, valid_form())
    assert response.status_code == 302
    assert response.url == URL
    member.refresh_from_db()
    assert member.skills == ["teaching", "maths", "carpentry"]
    assert member.causes == ["education", "water"]
    assert member.languages == ["English", "Dutch"]
    assert (member.place_name, member.latitude, member.longitude) == (
        "Utrecht",
        Decimal("52.0907"),
        Decimal("5.1214"),
    )
    assert member.time_zone == "Europe/Amsterdam"
    assert member.availability_hours == 12
    assert member.profile_visibility == Member.Visibility.PUBLIC
    assert (member.contact_by_email, member.contact_by_sms) == (True, True)


def test_it_confirms_the_save(client_as, member):
    response = client_as(member).post(URL, valid_form(), follow=True)
    assert "Your profile is saved." in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+31 6 12345678", "+31612345678"),
        ("0031 6 1234 5678", "+31612345678"),
        ("+509 3712-3456", "+50937123456"),
    ],
)
def test_it_stores_the_phone_in_e164(client_as, member, typed, stored):
    client_as(member).post(URL, valid_form(phone=typed))
    member.refresh_from_db()
    assert member.phone == stored


def test_an_empty_phone_clears_it(client_as, member):
    client_as(member).post(URL, valid_form(phone="", contact_by_sms=None))
    member.refresh_from_db()
    assert member.phone == ""


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("06 12345678", "Start with + and the country code"),
        ("+31 6 123", "not a valid phone number"),
        ("call me maybe", "Start with + and the country code"),
        ("+call me", "does not look like a phone number"),
    ],
)
def test_a_bad_phone_is_refused_with_a_clear_message(client_as, member, typed, message):
    response = client_as(member).post(URL, valid_form(phone=typed))
    assert_samen_page(response)
    html = response.content.decode()
    assert message in html
    assert f'value="{typed}"' in html
    member.refresh_from_db()
    assert member.phone == "+31612345678"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "95"}, "latitude", "Latitude must be between -90 and 90."),
        ({"longitude": "-181"}, "longitude", "Longitude must be between -180 and 180."),
        ({"latitude": "1e30"}, "latitude", "Latitude must be between -90 and 90."),
        ({"latitude": "north"}, "latitude", "Enter a number."),
        ({"longitude": ""}, "longitude", "Give both latitude and longitude, or neither."),
    ],
)
def test_bad_coordinates_are_refused(client_as, member, changes, field, message):
    response = client_as(member).post(URL, valid_form(**changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    member.refresh_from_db()
    assert member.latitude is None


def test_coordinates_accept_a_decimal_comma_and_are_rounded(client_as, member):
    client_as(member).post(URL, valid_form(latitude="52,09071234", longitude="5.12144449"))
    member.refresh_from_db()
    assert (member.latitude, member.longitude) == (Decimal("52.090712"), Decimal("5.121444"))


def test_both_coordinates_may_be_left_empty(client_as, member):
    response = client_as(member).post(URL, valid_form(latitude="", longitude=""))
    assert response.status_code == 302


def test_the_time_zone_must_exist_and_is_stored_in_its_canonical_spelling(client_as, member):
    refused = client_as(member).post(URL, valid_form(time_zone="Mars/Olympus_Mons"))
    assert "is not a time zone we know" in refused.content.decode()
    client_as(member).post(URL, valid_form(time_zone="america/port-au-prince"))
    member.refresh_from_db()
    assert member.time_zone == "America/Port-au-Prince"


@pytest.mark.parametrize("hours", ["-1", "201", "lots"])
def test_availability_is_bounded(client_as, member, hours):
    response = client_as(member).post(URL, valid_form(availability_hours=hours))
    assert 'id="id_availability_hours_error"' in response.content.decode()


def test_sms_needs_a_phone(client_as, outsider):
    response = client_as(outsider).post(URL, valid_form(phone=""))
    assert "Add a mobile phone number to be contacted by SMS." in response.content.decode()
    outsider.refresh_from_db()
    assert outsider.contact_by_sms is False


def test_unknown_causes_are_refused(client_as, member):
    response = client_as(member).post(URL, valid_form(causes=["education", "crypto"]))
    assert 'id="id_causes_error"' in response.content.decode()


def test_an_invalid_form_keeps_everything_that_was_typed(client_as, member):
    typed = valid_form(name="Mia M.", bio="Changed my story", skills="welding, first aid", latitude="123")
    response = client_as(member).post(URL, typed)
    html = response.content.decode()
    assert 'class="errorlist nonfield"' in html  # a summary at the top of the form
    assert 'value="Mia M."' in html
    assert "Changed my story</textarea>" in html
    assert 'value="welding, first aid"' in html
    assert 'value="123"' in html
    page = audit(response)
    assert page.checked("causes") == ["education", "water"]
    assert page.checked("profile_visibility") == ["public"]
    assert page.checked("contact_by_sms") == ["on"]
    member.refresh_from_db()
    assert member.name == "Mia Member"


def test_an_invalid_form_does_not_leak_into_the_rest_of_the_page(client_as, member):
    # The header and the account panel show the saved member, not the half-typed one.
    response = client_as(member).post(URL, valid_form(latitude="123"))
    assert "You log in with mia@example.org." in response.content.decode()


def test_the_form_cannot_change_the_email_or_become_staff(client_as, member):
    client_as(member).post(URL, valid_form(email="evil@example.org", is_staff="on"))
    member.refresh_from_db()
    assert member.email == "mia@example.org"
    assert member.is_staff is False


def test_the_page_links_to_email_and_password_settings(client_as, member):
    html = client_as(member).get(URL).content.decode()
    assert f'href="{reverse("account_email")}"' in html
    assert f'href="{reverse("account_change_password")}"' in html
    assert f'href="{reverse("people:profile", args=[member.pk])}"' in html
