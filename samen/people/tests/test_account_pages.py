"""Every allauth page renders inside Samen's base page, with labels, one h1 and a way back."""

import pytest
from django.urls import reverse

from .pages import assert_samen_page

ENTRANCE_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key_done",
    "account_email_verification_sent",
]
SETTINGS_PAGES = ["account_email", "account_change_password", "account_logout"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ENTRANCE_PAGES)
def test_entrance_pages_render_inside_samen_and_lead_home(client, name):
    page = assert_samen_page(client.get(reverse(name)))
    assert page.back_links == [reverse("home")]


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_account_settings_pages_render_inside_samen_and_lead_to_the_profile(client_as, member, name):
    page = assert_samen_page(client_as(member).get(reverse(name)))
    assert page.back_links == [reverse("people:profile_edit")]


def test_email_page_labels_every_address_and_marks_it_unverified(client_as, member):
    response = client_as(member).get(reverse("account_email"))
    page = assert_samen_page(response)
    radios = [c for c in page.controls if c.attrs.get("type") == "radio"]
    assert [radio.attrs["value"] for radio in radios] == [member.email]
    assert "Unverified" in response.content.decode()


def test_password_change_shows_errors_inline(client_as, member):
    response = client_as(member).post(
        reverse("account_change_password"),
        {
            "oldpassword": "not my password",
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
        },
    )
    page = assert_samen_page(response)
    assert 'class="errorlist"' in response.content.decode()
    assert "oldpassword" in {c.attrs.get("name") for c in page.controls}
